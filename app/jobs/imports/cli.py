"""The import command's progress bars, summary table and report file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from app.jobs.imports.files import ImportFileError
from app.jobs.imports.mapping import read_mapping
from app.jobs.imports.runner import ImportSummary, RecordImport
from app.jobs.imports.runner import Progress as Callbacks
from core.errors import RTError, StoreUnavailable
from core.settings import Settings

SHOWN_PROBLEMS = 10
# Exit codes: 0 every row created; 1 some were not (duplicates, rejected); 2 the file,
# the map or the agency is wrong (nothing sent); 3 sent, but the wait for outcomes gave
# up (none new for IMPORT_STALL_SECONDS): a worker may still apply the rest, and running
# the same import again later reports them (nothing is created twice).
STALLED = 3
# Seconds without a new outcome after which the bar says so.
QUIET_SHOWN = 10.0


def run_import(
    settings: Settings,
    kind: str,
    path: Path,
    tenant: str,
    batch_size: int,
    report: Path | None,
    *,
    mapping: Path | None = None,
    encoding: str | None = None,
) -> int:
    """Import with progress bars; returns the exit code (1 when a row did not make it,
    2 when the file, the map or the agency is wrong: one line says why, nothing is sent;
    3 when the worker stopped recording outcomes before every row had one)."""
    console = Console(stderr=True)
    try:
        names = read_mapping(mapping) if mapping is not None else None
        job = RecordImport(
            settings, tenant, kind, batch_size=batch_size, mapping=names, encoding=encoding
        )
        # Before any bar is drawn: a bad file is answered with its one line alone.
        checked = job.check(path)
    except ImportFileError as exc:
        console.print(f"import failed: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 2
    columns = (
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as bars:
        sent = bars.add_task("sent", total=None)
        applied = bars.add_task("applied", total=None)

        def total(n: int) -> None:
            bars.update(sent, total=n)
            bars.update(applied, total=n)

        def quiet(seconds: float) -> None:
            # A worker that falls silent shows it long before the import gives up.
            waiting = f"applied (none new for {seconds:.0f}s)" if seconds >= QUIET_SHOWN else ""
            bars.update(applied, description=waiting or "applied")

        callbacks = Callbacks(
            published=lambda n: bars.advance(sent, n),
            applied=lambda n: bars.advance(applied, n),
            total=total,
            quiet=quiet,
        )
        try:
            summary = asyncio.run(job.run(path, callbacks, checked=checked))
        except (ImportFileError, LookupError, TimeoutError, RTError, StoreUnavailable) as exc:
            if not bars.tasks[sent].completed:
                # Nothing was sent (no such agency): the one line alone, no empty bars.
                bars.remove_task(sent)
                bars.remove_task(applied)
            bars.stop()
            # One line, as it is (a file name or a value may hold brackets).
            console.print(f"import failed: {exc}", markup=False, highlight=False, soft_wrap=True)
            return 2
        # The bars count rows estimated from line breaks; end them at the real count.
        bars.update(sent, total=summary.rows, completed=summary.rows)
        if summary.stalled is None:
            bars.update(applied, total=summary.rows, completed=summary.rows)
    if job.encoding_used not in ("utf-8", "utf-8-sig"):
        console.print(f"read {path.name} as {job.encoding_used}", markup=False)
    _print_summary(console, summary)
    if report is not None:
        with report.open("wb") as f:
            for problem in summary.problems:
                f.write(orjson.dumps(problem.as_dict()) + b"\n")
        console.print(f"each duplicate and rejected row: {report}")
    if summary.stalled is not None:
        message = f"import incomplete: {summary.stalled}"
        console.print(message, markup=False, highlight=False, soft_wrap=True)
        return STALLED
    return 0 if summary.created == summary.rows else 1


def _print_summary(console: Console, summary: ImportSummary) -> None:
    table = Table(title="import summary", show_header=False)
    table.add_row("rows", f"{summary.rows:,}")
    table.add_row("created", f"{summary.created:,}")
    table.add_row("duplicates", f"{summary.duplicates:,}")
    table.add_row("rejected", f"{summary.rejected:,}")
    if summary.stalled is not None:
        table.add_row("no outcome yet", f"{summary.pending:,}")
    table.add_row("rate", f"{summary.rate:,.0f} rows/s over {summary.seconds:.1f} s")
    console.print(table)
    reasons = summary.reasons()
    if reasons:
        why = Table(title="rejected, by reason", show_header=True)
        why.add_column("rows", justify="right")
        why.add_column("reason")
        for message, count in reasons[:SHOWN_PROBLEMS]:
            why.add_row(f"{count:,}", message)
        console.print(why)
    shown = summary.problems[:SHOWN_PROBLEMS]
    if shown:
        first = Table(title="first rows that were not created", show_header=True)
        for name in ("line", "status", "reason"):
            first.add_column(name)
        for p in shown:
            detail = f"{p.message} (duplicate of {p.duplicate_of})" if p.duplicate_of else p.message
            first.add_row(str(p.line), p.status, detail)
        console.print(first)
