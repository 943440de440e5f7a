"""`refactortrack mongo`: back up and restore the document database (docs/operations.md).

Postgres is backed up with its own `pg_dump`; MongoDB locally is FerretDB, beside which
there is no `mongodump`, so these two commands write and read the collections with
PyMongo (stores/mongo_backup.py). Take both backups together, with the system stopped or
quiet, so the profiles and files match the records.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from core.errors import StoreUnavailable
from core.settings import get_settings

mongo_app = typer.Typer(
    help="Back up and restore the document database (MONGODB_DB).", no_args_is_help=True
)


@mongo_app.command("backup")
def mongo_backup(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="Where to write (.bson.gz)")],
) -> None:
    """Write every collection of MONGODB_DB to FILE: gzip'd BSON, sealed fields as stored."""
    from stores.mongo_backup import back_up

    try:
        summary = asyncio.run(back_up(get_settings(), file))
    except StoreUnavailable as exc:
        typer.echo(f"backup failed: {exc}; is MONGODB_URL right and the server up?", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"backed up {summary.describe()} to {file}")


@mongo_app.command("restore")
def mongo_restore(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="A backup file")
    ],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before replacing")] = False,
) -> None:
    """Replace the collections FILE holds in MONGODB_DB with its documents.

    Stop the gateways and workers first; run `refactortrack migrate` after (it makes the
    indexes again), then `refactortrack reindex`.
    """
    from stores.mongo_backup import NotABackup, restore

    settings = get_settings()
    if not yes:
        typer.confirm(
            f"Replace the collections of {settings.mongo_db} with those in {file}?", abort=True
        )
    try:
        summary = asyncio.run(restore(settings, file))
    except NotABackup as exc:
        typer.echo(f"not restored: {exc}", err=True)
        raise typer.Exit(2) from exc
    except StoreUnavailable as exc:
        typer.echo(f"restore failed: {exc}; is MONGODB_URL right and the server up?", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"restored {summary.describe()} from {file}")
