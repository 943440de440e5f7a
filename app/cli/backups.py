"""`refactortrack mongo`: back up and restore the document database (docs/operations.md).

Postgres is backed up with its own `pg_dump`; MongoDB locally is FerretDB, beside which
there is no `mongodump`, so these two commands write and read the collections with
PyMongo (stores/mongo_backup.py). Take both backups together, with the system stopped or
quiet, so the profiles and files match the records.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

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


erasures_app = typer.Typer(
    help="After a restore: erase again whoever was erased since the backup.",
    no_args_is_help=True,
)


@erasures_app.command("reapply")
def erasures_reapply(
    since: Annotated[
        datetime | None,
        typer.Option(
            help="Only erasures at or after this time (the backup's, UTC, e.g. "
            "2026-11-01T02:00:00); default: every erasure the register holds"
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="List who the restored stores hold again; send nothing"),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The report as JSON")] = False,
) -> None:
    """Read the erasure register (kept by Kafka, not by the restored database), find the
    people the restored database holds again, and erase each of them as the API would.

    Start the workers first (they apply the erasures); run it before the gateways serve.
    Running it twice changes nothing.
    """
    from app.jobs.erasures import reapply_erasures

    when = since.replace(tzinfo=UTC) if since is not None and since.tzinfo is None else since
    settings = get_settings()
    with Progress(
        TextColumn("erasing again"), BarColumn(), MofNCompleteColumn(), transient=True
    ) as bar:
        task = bar.add_task("erase", total=None)
        try:
            report = asyncio.run(
                reapply_erasures(
                    settings,
                    since=when,
                    dry_run=dry_run,
                    progress=lambda n: bar.advance(task, n),
                )
            )
        except StoreUnavailable as exc:
            typer.echo(f"erasures: {exc}; are the servers up?", err=True)
            raise typer.Exit(1) from exc
        except TimeoutError as exc:
            typer.echo(f"erasures: no outcome ({exc}); is a worker running?", err=True)
            raise typer.Exit(3) from exc
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=1))
    else:
        verb = "would erase" if dry_run else "erased"
        count = len(report.held) if dry_run else len(report.erased)
        typer.echo(
            f"register: {report.registered} erasures, {report.considered} considered; "
            f"held again after the restore: {len(report.held)}; {verb} {count}"
        )
        for record, why in report.failed:
            typer.echo(f"  not erased: {record.kind} {record.id} ({why})", err=True)
    if report.failed:
        raise typer.Exit(1)
