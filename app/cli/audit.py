"""`refactortrack audit`: the agencies' tamper-evident audit logs."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from core.settings import get_settings

audit_app = typer.Typer(
    help="The audit log: who read, changed, exported or erased what (docs/security.md).",
    no_args_is_help=True,
)

TAMPERED = 1
"""Exit status of a chain that does not verify (2: the command was used wrongly)."""


@audit_app.command("verify")
def audit_verify(tenant: Annotated[str, typer.Option(help="Agency (tenant) slug")]) -> None:
    """Check an agency's audit chain, entry by entry from the first.

    Exits 0 if every entry is intact and linked to the one before, and the chain ends
    where its head says; otherwise exits 1 naming the first broken entry (its seq), for
    a change, a deletion, or entries cut off the end.
    """
    from app.jobs.audit import verify_audit

    try:
        verdict = asyncio.run(verify_audit(get_settings(), tenant))
    except LookupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    if verdict.broken is not None:
        typer.echo(
            f"audit chain of {tenant} is BROKEN at seq {verdict.broken.seq}: "
            f"{verdict.broken.reason} ({verdict.entries} entries before it verify)",
            err=True,
        )
        raise typer.Exit(TAMPERED)
    typer.echo(
        f"audit chain of {tenant} verifies: {verdict.entries} entries, "
        f"head seq {verdict.head.seq} hash {verdict.head.hash}"
    )
