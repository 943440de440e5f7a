"""The reindex command's progress bar and summary."""

from __future__ import annotations

import asyncio

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from agents.search_indexer.reindex import ReindexSummary, reindex
from core.settings import Settings
from stores.bundle import Stores


async def _run(settings: Settings, tenant: str | None, bars: Progress) -> ReindexSummary:
    task = bars.add_task("candidates", total=None)
    stores = Stores(settings)
    await stores.start()
    try:
        return await reindex(
            stores,
            tenant=tenant,
            total=lambda n: bars.update(task, total=n),
            advance=lambda n: bars.advance(task, n),
        )
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
            summary = asyncio.run(_run(settings, tenant, bars))
        except LookupError as exc:
            console.print(f"[red]reindex failed:[/red] {exc}")
            return 2
    console.print(
        f"{summary.candidates:,} candidates into {summary.index}"
        + (f"; alias moved from {', '.join(summary.swapped_from)}" if summary.swapped_from else "")
        + (f"; {summary.caught_up:,} changed meanwhile written again" if summary.caught_up else "")
        + (f"; {summary.removed:,} erased meanwhile removed" if summary.removed else "")
    )
    return 0
