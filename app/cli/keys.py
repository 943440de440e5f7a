"""`refactortrack keys`: the agency keys that protect personal data (docs/data.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from core.settings import get_settings

keys_app = typer.Typer(
    help="Agency keys: rotation, what each version holds, the at-rest backfill.",
    no_args_is_help=True,
)


@keys_app.command("rotate")
def keys_rotate(tenant: Annotated[str, typer.Option(help="Agency (tenant) slug")]) -> None:
    """Make a new agency key version, recompute the agency's blind indexes under it, wrap
    every person key again with it, then delete the old version.

    Creates and duplicate checks of the agency wait (they do not fail) for the moment the
    blind indexes switch; everything else carries on. Safe to run again after a failure.
    """
    from app.jobs.keys import run_rotate

    raise typer.Exit(run_rotate(get_settings(), tenant))


@keys_app.command("show")
def keys_show(tenant: Annotated[str, typer.Option(help="Agency (tenant) slug")]) -> None:
    """The agency's key versions, with how many person keys each wraps and how many blind
    indexes were made with it. Prints no key material."""
    from app.jobs.keys import run_show

    raise typer.Exit(run_show(get_settings(), tenant))


@keys_app.command("backfill")
def keys_backfill() -> None:
    """Seal and blind-index what was stored before encryption at rest (e-mails and phones of
    candidates and contacts, contact points, resume files). `migrate` runs it; idempotent."""
    from app.jobs.keys import run_backfill

    raise typer.Exit(run_backfill(get_settings()))
