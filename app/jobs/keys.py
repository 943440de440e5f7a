"""`refactortrack keys`: rotation, what each key version holds, and the at-rest backfill,
with progress bars (the work itself: stores/key_rotation.py, stores/at_rest_backfill.py)."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeElapsedColumn
from rich.table import Table

from core.settings import Settings
from stores.at_rest_backfill import BackfillSummary, backfill
from stores.bundle import Stores
from stores.key_rotation import KeyVersion, RotationRefused, RotationSummary, key_versions, rotate
from stores.postgres.users import find_tenant


class UnknownAgency(LookupError):
    pass


async def _tenant_id(stores: Stores, slug: str) -> UUID:
    async with stores.db.read() as conn:
        found = await find_tenant(conn, slug)
    if found is None:
        raise UnknownAgency(f"no agency '{slug}' (give its slug, as `tenants` commands do)")
    return found


def _bars(console: Console) -> Progress:
    return Progress(
        "{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


async def _rotate(settings: Settings, slug: str, bars: Progress) -> RotationSummary:
    stores = Stores(settings)
    await stores.start()
    current: list[TaskID] = []

    def stage(name: str, total: int) -> None:
        current.append(bars.add_task(name, total=total))

    def advance(n: int) -> None:
        bars.advance(current[-1], n)

    try:
        return await rotate(stores, await _tenant_id(stores, slug), stage=stage, advance=advance)
    finally:
        await stores.stop()


def run_rotate(settings: Settings, slug: str) -> int:
    console = Console(stderr=True)
    try:
        with _bars(console) as bars:
            summary = asyncio.run(_rotate(settings, slug, bars))
    except (UnknownAgency, RotationRefused) as exc:
        console.print(f"[red]rotation failed:[/red] {exc}")
        return 2
    old = ", ".join(str(v) for v in summary.old_versions)
    console.print(
        f"agency {slug}: key version {summary.new_version} in use, version(s) {old} deleted; "
        f"{summary.person_keys:,} person keys rewrapped; blind indexes of "
        f"{summary.candidates:,} candidates recomputed ({summary.contact_points:,} contact "
        f"points, {summary.match_keys:,} match keys) in a {summary.switch_seconds:.2f} s switch"
        + (
            f"; {summary.stale_contact_points:,} contact points no record held removed"
            if summary.stale_contact_points
            else ""
        )
    )
    return 0


async def _show(settings: Settings, slug: str) -> tuple[list[KeyVersion], int]:
    stores = Stores(settings)
    await stores.start()
    try:
        return await key_versions(stores, await _tenant_id(stores, slug))
    finally:
        await stores.stop()


def run_show(settings: Settings, slug: str) -> int:
    console = Console()
    try:
        versions, in_clear = asyncio.run(_show(settings, slug))
    except UnknownAgency as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    table = Table(title=f"agency {slug}: key versions (no key material)")
    for column in ("version", "created", "person keys", "contact points", "match keys"):
        table.add_column(column, justify="left" if column == "created" else "right")
    for v in versions:
        table.add_row(
            str(v.version),
            f"{v.created_at:%Y-%m-%d %H:%M:%S %Z}",
            f"{v.person_keys:,}",
            f"{v.contact_points:,}",
            f"{v.match_keys:,}",
        )
    console.print(table)
    if not versions:
        console.print("no key yet: nothing of this agency is sealed")
    if in_clear:
        console.print(
            f"{in_clear:,} contact points in the clear: run `refactortrack keys backfill`"
        )
    return 0


async def backfill_at_rest(settings: Settings, advance: Any = None) -> BackfillSummary:
    stores = Stores(settings)
    await stores.start()
    try:
        return await backfill(stores, advance=advance or (lambda what, n: None))
    finally:
        await stores.stop()


def describe_backfill(summary: BackfillSummary) -> str:
    if not summary.sealing:
        return "PERSONAL_DATA_SEALING is off: nothing sealed"
    if not summary.total:
        return "everything is sealed already"
    return (
        f"sealed {summary.candidates:,} candidates' e-mails and phones, {summary.contacts:,} "
        f"client contacts, {summary.files:,} resume files; blind-indexed "
        f"{summary.contact_points:,} contact points"
        + (
            f" ({summary.contact_point_clashes:,} held twice: the newer claim kept)"
            if summary.contact_point_clashes
            else ""
        )
    )


def run_backfill(settings: Settings) -> int:
    console = Console(stderr=True)
    with _bars(console) as bars:
        tasks: dict[str, TaskID] = {}

        def advance(what: str, n: int) -> None:
            if what not in tasks:
                tasks[what] = bars.add_task(what, total=None)
            bars.advance(tasks[what], n)

        summary = asyncio.run(backfill_at_rest(settings, advance))
    console.print(describe_backfill(summary))
    return 0
