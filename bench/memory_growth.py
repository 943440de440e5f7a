"""Resident memory per process before and after an import: `python -m bench --memory-only`.

Issue 17: after a million imported candidates the domain worker had grown from 158 MiB to
1.27 GiB and the analytics worker held 1.1 GiB. This phase imports N rows into a fresh
system and reads each process's resident memory (by pid, with its children) before and
after; the growth per million rows is (after - before) / N x 1,000,000.

"Before" is read after a warm-up import of a few hundred rows, so that what every worker
loads once (the gazetteer, compiled queries, connection pools) counts as its base and not
as growth. "After" is read once every row is in every store and the workers have been idle
for a few seconds. The stack's servers are shared with everyone on the machine: their
figures are reported, but growth there is not all ours.

"Before" and "after" alone cannot tell a cache filling to its bound from a leak: both
grow. So each process is also read every SAMPLE_SECONDS during the import, and the phase
reports its growth over the import's last three quarters (from the first reading past a
quarter of the import's time to the end): flat, once the caches are full, is what the
issue asks for. Rows arrive at a steady rate, so a quarter of the time is about a quarter
of the rows.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

from bench.cluster import Cluster, resident, running_cluster
from bench.environment import RESULTS, UNLIMITED
from bench.imports import import_throughput, write_candidates_csv
from core.settings import get_settings

WARM_UP_ROWS = 500
IDLE_SECONDS = 5.0
SAMPLE_SECONDS = 10.0
SETTLED_SHARE = 0.25
"""The part of the import's time left to the caches to fill before growth is counted."""


def malloc_trim(pids: list[int]) -> None:
    """Ask each process's C allocator to give its free memory back (gdb calls
    `malloc_trim(0)` in it): what RSS loses then was freed memory the allocator kept, not
    live objects (BENCH_MALLOC_TRIM=1; a diagnosis, never part of the system)."""
    for pid in pids:
        subprocess.run(
            ["gdb", "-p", str(pid), "-batch", "-ex", "call (int) malloc_trim(0)"],
            capture_output=True,
            timeout=120,
            check=False,
        )


def growth(before: dict[str, float], after: dict[str, float], rows: int) -> dict[str, Any]:
    """Per process: MiB before, after, and the growth per million rows."""
    return {
        name: {
            "before_mib": round(before[name], 1),
            "after_mib": round(after.get(name, 0.0), 1),
            "growth_mib_per_million_rows": round(
                (after.get(name, 0.0) - before[name]) / rows * 1_000_000, 1
            ),
        }
        for name in before
    }


def ours(readings: dict[str, float]) -> dict[str, float]:
    """Our processes' readings, without the shared servers'."""
    return {name: mib for name, mib in readings.items() if not name.endswith("(shared)")}


async def _sampled(cluster: Cluster, into: list[tuple[float, dict[str, float]]]) -> None:
    """Our processes' resident memory every SAMPLE_SECONDS, until cancelled."""
    started = time.monotonic()
    while True:
        await asyncio.sleep(SAMPLE_SECONDS)
        readings = await asyncio.to_thread(resident, cluster)
        into.append((time.monotonic() - started, ours(readings)))


def settled_growth(
    samples: list[tuple[float, dict[str, float]]], after: dict[str, float]
) -> dict[str, dict[str, float]]:
    """Per process: the peak reading, and the growth from the first reading past
    SETTLED_SHARE of the import's time to the reading after it."""
    if not samples:
        return {}
    took = samples[-1][0]
    settled = next(r for t, r in samples if t >= SETTLED_SHARE * took)
    return {
        name: {
            "settled_mib": round(settled[name], 1),
            "peak_mib": round(max(r.get(name, 0.0) for _, r in samples), 1),
            "growth_after_settled_mib": round(after.get(name, 0.0) - settled[name], 1),
        }
        for name in settled
    }


async def _import(path: Path, rows: int) -> dict[str, float]:
    slug = f"bench-memory-{uuid.uuid4().hex[:8]}"
    return await import_throughput(get_settings(), path, rows, slug)


def _snapshot(pids: list[int], folder: Path, taken: int) -> list[Path]:
    """Ask each traced worker for a snapshot (bench/tracemalloc_hook); wait for the files."""
    for pid in pids:
        (folder / f"{pid}-{taken}.request").touch()
    paths = [folder / f"{pid}-{taken}.snap" for pid in pids]
    deadline = time.monotonic() + 300
    while not all(p.exists() for p in paths) and time.monotonic() < deadline:
        time.sleep(0.5)
    return paths


def top_growth(before: Path, after: Path, out: Path, limit: int = 30) -> None:
    """The allocation sites that grew most between two snapshots, by traceback."""
    old = tracemalloc.Snapshot.load(str(before))
    new = tracemalloc.Snapshot.load(str(after))
    lines = []
    for stat in new.compare_to(old, "traceback")[:limit]:
        lines.append(f"{stat.size_diff / 1024:+.0f} KiB in {stat.count_diff:+d} blocks")
        lines.extend(f"    {line}" for line in stat.traceback.format(limit=8))
    out.write_text("\n".join(lines) + "\n")


async def measure(root: Path, rows: int, domain_workers: int = 1) -> dict[str, Any]:
    """Import `rows` candidates into a system of its own; memory before and after.

    With BENCH_TRACEMALLOC=<folder>, each domain worker traces its allocations, and the
    sites that grew most are written to bench/results/memory-tracemalloc-<n>.txt (the
    figures of such a run are slower and larger: tracing costs).
    """
    env = {**os.environ, **UNLIMITED}
    traced = os.environ.get("BENCH_TRACEMALLOC")
    if traced:
        os.makedirs(traced, exist_ok=True)
        hook = str(Path(__file__).with_name("tracemalloc_hook"))
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [hook, env.get("PYTHONPATH")]))
    results = RESULTS
    warm, main = results / "memory-warm.csv", results / "memory.csv"
    write_candidates_csv(warm, WARM_UP_ROWS, seed=5)
    write_candidates_csv(main, rows)
    with running_cluster(env, results / "logs", root, domain_workers) as cluster:
        await _import(warm, WARM_UP_ROWS)
        await asyncio.sleep(IDLE_SECONDS)
        before = resident(cluster)
        if traced:
            first = _snapshot(cluster.worker_pids, Path(traced), 1)
        samples: list[tuple[float, dict[str, float]]] = []
        sampler = asyncio.create_task(_sampled(cluster, samples))
        try:
            imp = await _import(main, rows)
        finally:
            sampler.cancel()
        await asyncio.sleep(IDLE_SECONDS)
        after = resident(cluster)
        trimmed = None
        if os.environ.get("BENCH_MALLOC_TRIM") and shutil.which("gdb"):
            malloc_trim(
                [cluster.gateway_pid, cluster.analytics_pid, *cluster.worker_pids]
                + ([cluster.followers_pid] if cluster.followers_pid else [])
            )
            trimmed = resident(cluster)
        if traced:
            second = _snapshot(cluster.worker_pids, Path(traced), 2)
            for i, (a, b) in enumerate(zip(first, second, strict=True)):
                top_growth(a, b, results / f"memory-tracemalloc-{i + 1}.txt")
    figures: dict[str, Any] = {
        "rows": rows,
        "import": imp,
        "memory": growth(before, after, rows),
        "settled": settled_growth(samples, after),
        "samples": [{"seconds": round(t, 1), **r} for t, r in samples],
    }
    if trimmed is not None:
        figures["memory_after_malloc_trim"] = growth(before, trimmed, rows)
    return figures
