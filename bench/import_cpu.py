"""Where an import's CPU goes, per row: each of our processes, each of the stack's servers,
and what that leaves this machine at most (bench/figures.py `ceiling_figures`).

Measured from the importer's first row until the last one is searchable: the importer runs
in this process, so its CPU is this process's; the servers' is read from /proc for their
whole process trees (bench/stack_cpu.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from bench.figures import IMPORT_COPY_RATIO, IMPORT_RATE, ceiling_figures, cpu_figures
from bench.imports import import_throughput
from bench.latency import cpu_per_create, cpu_seconds
from bench.profiling import profiled
from bench.report import Figure, cpus
from bench.stack_cpu import StackMeter
from core.settings import Settings
from tests.harness.processes import RunningSystem


async def measured_import(
    settings: Settings,
    system: RunningSystem,
    path: Path,
    rows: int,
    slug: str,
    profile_out: Path | None = None,
) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """The import's figures (bench/imports.py), then CPU ms per row of each of our
    processes and of each server. With `profile_out`, py-spy samples the command worker."""
    pids = {
        "importer (this process)": os.getpid(),
        "domain worker": system.worker_pid,
        **({"followers worker": system.followers_pid} if system.followers_pid else {}),
        "analytics worker": system.analytics_pid,
    }
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    servers = StackMeter()
    if profile_out is not None:
        with profiled(system.worker_pid, profile_out):
            imp = await import_throughput(settings, path, rows, slug)
    else:
        imp = await import_throughput(settings, path, rows, slug)
    return imp, cpu_per_create(before, pids, rows), servers.per_create(rows)


def import_cpu_figures(
    cpu: dict[str, float], servers: dict[str, float], copy_rate: float
) -> list[Figure]:
    """CPU per row by process and server, and the rates this machine allows at most, each
    against the same run's raw COPY (the import / COPY target's ratio)."""
    figures = cpu_figures(cpu, servers, phase="import", unit="row")
    if servers:
        figures.extend(
            ceiling_figures(
                "import",
                "row",
                cpus(),
                sum(cpu.values()),
                sum(servers.values()),
                f"{IMPORT_RATE.bound:,.0f} rows/s, import / COPY {IMPORT_COPY_RATIO.bound:g}",
                baseline=copy_rate,
                baseline_name="COPY rows/s",
            )
        )
    return figures
