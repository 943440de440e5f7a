"""`refactortrack audit`: the agencies' tamper-evident audit logs."""

from __future__ import annotations

import asyncio
import re
from typing import Annotated

import typer

from core.settings import get_settings
from domain.audit import ChainHead

audit_app = typer.Typer(
    help="The audit log: who read, changed, exported or erased what (docs/security.md).",
    no_args_is_help=True,
)

TAMPERED = 1
"""Exit status of a chain that does not verify (2: the command was used wrongly)."""


def _anchor(text: str | None) -> ChainHead | None:
    if text is None:
        return None
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or int(seq) < 1 or not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise typer.BadParameter("SEQ:HASH as `audit verify` printed it", param_hint="--anchor")
    return ChainHead(int(seq), digest)


@audit_app.command("verify")
def audit_verify(
    tenant: Annotated[str, typer.Option(help="Agency (tenant) slug")],
    anchor: Annotated[
        str | None,
        typer.Option(
            metavar="SEQ:HASH",
            help="A head an earlier run printed: the chain must still pass through it",
        ),
    ] = None,
) -> None:
    """Check an agency's audit chain, entry by entry from the first.

    Exits 0 if every entry is intact and linked to the one before, and the chain ends
    where its head says (and passes through --anchor); otherwise exits 1 naming the first
    broken entry (its seq): a change, a deletion, entries cut off the end, a rewrite.
    """
    from app.jobs.audit import verify_audit

    try:
        verdict = asyncio.run(verify_audit(get_settings(), tenant, _anchor(anchor)))
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
        f"audit chain of {tenant} verifies: {verdict.entries} entries; "
        f"anchor for later runs: --anchor {verdict.head.seq}:{verdict.head.hash}"
    )
