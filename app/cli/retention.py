"""`refactortrack retention policy|run`: an agency's retention policy, and erasing the
candidates it says are due (app/jobs/retention.py; the rule is domain/retention.py)."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from core.errors import RTError, StoreUnavailable
from core.settings import get_settings
from domain.retention import MAX_INACTIVE_MONTHS, MIN_INACTIVE_MONTHS

retention_app = typer.Typer(
    help="Retention: erase candidates with no activity and no valid consent for N months.",
    no_args_is_help=True,
)

SHOWN_FAILURES = 20


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"retention: {message}", err=True)
    return typer.Exit(code)


@retention_app.command("policy")
def policy(
    tenant: Annotated[str, typer.Option(help="Agency (tenant) slug")],
    inactive_months: Annotated[
        int | None,
        typer.Option(
            min=MIN_INACTIVE_MONTHS,
            max=MAX_INACTIVE_MONTHS,
            help="Erase candidates with no activity and no valid consent for this many months",
        ),
    ] = None,
    off: Annotated[bool, typer.Option("--off", help="Turn the policy off: nothing is due")] = False,
) -> None:
    """Show the agency's retention policy, or set it (--inactive-months N) or turn it off."""
    from app.jobs.retention import NoAgency, set_policy, show_policy

    if off and inactive_months is not None:
        raise _fail("give either --inactive-months N or --off, not both")
    settings = get_settings()
    try:
        if off or inactive_months is not None:
            view = asyncio.run(set_policy(settings, tenant, None if off else inactive_months))
        else:
            view = asyncio.run(show_policy(settings, tenant))
    except NoAgency as exc:
        raise _fail(str(exc)) from None
    except StoreUnavailable as exc:
        raise _fail(f"{exc}; is the stack up (`refactortrack stack status`)?") from None
    typer.echo(f"{tenant}: {view.describe()}")
    if view.updated_at is not None:
        typer.echo(f"set {view.updated_at.isoformat()} by {view.updated_by}")


@retention_app.command("run")
def run(
    tenant: Annotated[str, typer.Option(help="Agency (tenant) slug")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what is due and why; erase nothing")
    ] = False,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Erase at most this many (longest inactive first)")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON (stdout), nothing else")
    ] = False,
) -> None:
    """List the candidates the agency's policy says are due, with why, and erase them.

    Each is erased by the normal erasure command (`candidate.erase`, as DELETE
    /candidates/{id} does), so a worker must be running. Ids only are printed, never a
    name or an address. Exit code 0 when every due candidate was erased (or with
    --dry-run), 1 when some were not, 2 when the agency or the stores are wrong.
    """
    from app.jobs.retention import NoAgency, run_retention
    from app.jobs.retention import Progress as Callbacks

    console = Console(stderr=True)
    columns = (
        TextColumn("{task.description:<8}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=as_json) as bars:
        checked = bars.add_task("checked", total=None)
        erased = bars.add_task("erased", total=None, visible=False)

        def to_erase(n: int) -> None:
            bars.update(erased, total=n, visible=True)

        callbacks = Callbacks(
            to_check=lambda n: bars.update(checked, total=n),
            checked=lambda n: bars.advance(checked, n),
            to_erase=to_erase,
            erased=lambda n: bars.advance(erased, n),
        )
        try:
            report = asyncio.run(
                run_retention(
                    get_settings(), tenant, dry_run=dry_run, limit=limit, progress=callbacks
                )
            )
        except NoAgency as exc:
            raise _fail(str(exc)) from None
        except StoreUnavailable as exc:
            raise _fail(f"{exc}; is the stack up (`refactortrack stack status`)?") from None
        except RTError as exc:  # the broker refused the jobs principal, or is away
            raise _fail(exc.message) from None
    code = 1 if report.failed else 0
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
        raise typer.Exit(code)
    typer.echo(f"{tenant}: {report.policy.describe()}")
    if report.changes_before is not None:
        verb = "would prune" if dry_run else "pruned"
        typer.echo(
            f"changes feed: {verb} {report.changes_pruned:,} recorded before "
            f"{report.changes_before.isoformat(timespec='seconds')}"
        )
    if report.cutoff is None:
        raise typer.Exit(code)
    typer.echo(
        f"last activity on or before {report.cutoff.isoformat(timespec='seconds')}; "
        f"{report.checked:,} checked, {report.due_total:,} due"
        + (
            f", {len(report.due):,} in this run (--limit)"
            if len(report.due) < report.due_total
            else ""
        )
    )
    for verdict in report.due:
        consent = verdict.consent + (f" ({verdict.consent_basis})" if verdict.consent_basis else "")
        typer.echo(
            f"  {verdict.candidate_id}  last activity {verdict.last_activity.date().isoformat()}"
            f" ({verdict.last_activity_source})  consent {consent}"
        )
    if dry_run:
        typer.echo("dry run: nothing erased")
        raise typer.Exit(code)
    typer.echo(
        f"erased {len(report.erased):,}, already gone {len(report.already_gone):,}, "
        f"failed {len(report.failed):,}"
    )
    for failure in report.failed[:SHOWN_FAILURES]:
        typer.echo(f"  failed {failure.candidate_id}  {failure.code}: {failure.message}")
    if len(report.failed) > SHOWN_FAILURES:
        typer.echo(f"  … and {len(report.failed) - SHOWN_FAILURES:,} more (--json lists all)")
    raise typer.Exit(code)
