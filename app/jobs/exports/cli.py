"""The export command's progress bar and one-line errors."""

from __future__ import annotations

import asyncio
import getpass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app.jobs.exports.runner import (
    FORMATS,
    Export,
    ExportError,
    ExportProgress,
    ExportSummary,
    parse_since,
)
from app.jobs.flat_records import KINDS
from core.errors import RTError, StoreUnavailable
from core.settings import Settings
from stores.bundle import Stores


def run_export(
    settings: Settings,
    kind: str,
    tenant: str,
    fmt: str,
    updated_since: str | None,
    output: Path | None,
    operator: str | None,
) -> int:
    """Export with a progress bar (on standard error); 0 when done, 2 when asked wrongly."""
    console = Console(stderr=True)
    who = operator or _login_name()
    try:
        since = parse_since(updated_since)
        # Asked wrongly is answered before any bar is drawn: one line.
        if kind not in KINDS:
            raise ExportError(f"no kind '{kind}'; one of {', '.join(KINDS)}")
        if fmt not in FORMATS:
            raise ExportError(f"--format '{fmt}': csv or jsonl")
        if output is not None and output.is_dir():
            raise ExportError(f"--output {output} is a directory; name a file")
        if output is not None and not output.resolve().parent.is_dir():
            raise ExportError(f"--output {output}: no such directory")
        with Progress(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bars:
            task = bars.add_task(f"{kind}", total=None)
            progress = ExportProgress(
                total=lambda n: bars.update(task, total=n),
                advance=lambda n: bars.advance(task, n),
            )
            summary = asyncio.run(
                _export(settings, kind, tenant, fmt, since, output, who, progress)
            )
    except (ExportError, RTError, StoreUnavailable, OSError) as exc:
        console.print(f"export failed: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 2
    console.print(
        f"exported {summary.records:,} {kind} to {summary.destination} (recorded in the audit log)",
        markup=False,
        highlight=False,
    )
    return 0


async def _export(
    settings: Settings,
    kind: str,
    tenant: str,
    fmt: str,
    since: object,
    output: Path | None,
    operator: str,
    progress: ExportProgress,
) -> ExportSummary:
    from datetime import datetime

    stores = Stores(settings)
    await stores.start()
    try:
        job = Export(
            stores,
            kind,
            tenant,
            fmt,
            since=since if isinstance(since, datetime) else None,
            operator=operator,
        )
        return await job.run(output, progress)
    finally:
        await stores.stop()


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "export"
