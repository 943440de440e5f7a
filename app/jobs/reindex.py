"""The reindex command's progress bars and summary: candidates (a new index, swapped in),
then requisitions and saved searches (rewritten in place)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from agents.search_indexer.rebuild import rebuild_requisitions, rebuild_saved_searches
from agents.search_indexer.reindex import ReindexSummary, reindex
from core.settings import Settings
from stores.bundle import Stores
from stores.postgres.requisitions import REQUISITIONS
from stores.postgres.saved_searches import SAVED_SEARCHES
from stores.postgres.users import find_tenant


@dataclass
class Rebuilt:
    candidates: ReindexSummary
    requisitions: int
    saved_searches: int


async def _run(settings: Settings, tenant: str | None, bars: Progress) -> Rebuilt:
    people = bars.add_task("candidates", total=None)
    jobs = bars.add_task("requisitions", total=None)
    searches = bars.add_task("saved searches", total=None)
    stores = Stores(settings)
    await stores.start()
    try:
        summary = await reindex(
            stores,
            tenant=tenant,
            total=lambda n: bars.update(people, total=n),
            advance=lambda n: bars.advance(people, n),
        )
        async with stores.db.read() as conn:
            tenant_id = await find_tenant(conn, tenant) if tenant else None
            bars.update(jobs, total=await REQUISITIONS.count(conn, tenant_id))
            bars.update(searches, total=await SAVED_SEARCHES.count(conn, tenant_id))
        requisitions = await rebuild_requisitions(
            stores, tenant_id, lambda n: bars.advance(jobs, n)
        )
        saved = await rebuild_saved_searches(stores, tenant_id, lambda n: bars.advance(searches, n))
        return Rebuilt(summary, requisitions, saved)
    finally:
        await stores.stop()


def run_reindex(settings: Settings, tenant: str | None) -> int:
    console = Console(stderr=True)
    with Progress(
        "{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bars:
        try:
            rebuilt = asyncio.run(_run(settings, tenant, bars))
        except LookupError as exc:
            console.print(f"[red]reindex failed:[/red] {exc}")
            return 2
    summary = rebuilt.candidates
    console.print(
        f"{summary.candidates:,} candidates into {summary.index}"
        + (f" ({summary.segments} segments, merged)" if summary.segments is not None else "")
        + (f"; alias moved from {', '.join(summary.swapped_from)}" if summary.swapped_from else "")
        + (f"; {summary.caught_up:,} changed meanwhile written again" if summary.caught_up else "")
        + (f"; {summary.removed:,} erased meanwhile removed" if summary.removed else "")
        + f"; {rebuilt.requisitions:,} requisitions and {rebuilt.saved_searches:,} alerting "
        "saved searches written again"
    )
    return 0


async def _optimise(settings: Settings) -> tuple[int, int]:
    stores = Stores(settings)
    await stores.start()
    try:
        before = await stores.search.candidate_segments()
        return before, await stores.search.merge_candidate_segments()
    finally:
        await stores.stop()


def run_optimise_search(settings: Settings) -> int:
    """`refactortrack optimise-search`: the candidate index merged after a big import."""
    console = Console(stderr=True)
    with console.status("merging the candidate index's segments (minutes for a million)"):
        before, after = asyncio.run(_optimise(settings))
    console.print(f"candidate index: {before} segments merged into {after}")
    return 0
