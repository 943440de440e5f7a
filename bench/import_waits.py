"""Where the commands worker's wall time goes during an import, and who waits for whom
(`python -m bench --import-waits`).

The import of `bench/imports.py` (into every store), with, around it:

- the commands worker's own timings, read from its `/metrics` before and after: each
  step of applying a set (`rt_worker_step_seconds`: opening the commands, the ledger, the
  handler's steps, the events' seals, the audit, the commit, the events and outcomes), its
  candidate agent's time applying batches against waiting for the next one
  (`rt_worker_agent_seconds`), and the garbage collector's pauses by generation
  (`rt_gc_pause_seconds`, every collection, not only those the log names);
- every half second, the rows the importer has sent and those whose outcome it has read
  (so how many it has in flight), and the CPU of each of our processes (the importer is
  this one) and of the whole machine;
- with `--profile NAME`, py-spy on the commands worker with `--idle`, so the flame graph
  shows where the event loop waits as well as where it works
  (bench/results/profile-import-NAME.svg).

Wall time, not CPU: a step that waits for a store, for a core or for a collection counts
whole. The steps of one set run one after another, so their sum against the agent's
applying time says what the worker did; applying against waiting says whether the worker
or its input is what holds the import back.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from app.jobs.imports.runner import Progress
from bench.latency import cpu_seconds
from bench.profiling import profiled
from core.settings import Settings
from tests.harness.processes import RunningSystem

SAMPLE_SECONDS = 0.5
ROWS_PER_BATCH = 500
TIMINGS = ("rt_worker_step_seconds", "rt_worker_agent_seconds", "rt_gc_pause_seconds")
Sums = dict[tuple[str, ...], tuple[float, float]]
"""(metric, label values…): (seconds, count)."""


def scrape(url: str, token: str) -> Sums:
    """The timings of a worker's /metrics: each histogram's sum and count, by labels."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    text = httpx.get(f"{url}/metrics", headers=headers, timeout=30).text
    sums: dict[tuple[str, ...], list[float]] = {}
    for family in text_string_to_metric_families(text):
        if family.name not in TIMINGS:
            continue
        for sample in family.samples:
            labels = tuple(v for k, v in sorted(sample.labels.items()) if k != "le")
            found = sums.setdefault((family.name, *labels), [0.0, 0.0])
            if sample.name.endswith("_sum"):
                found[0] = sample.value
            elif sample.name.endswith("_count"):
                found[1] = sample.value
    return {key: (v[0], v[1]) for key, v in sums.items()}


def _machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of every core so far (/proc/stat)."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


class Timeline:
    """Rows sent and settled, and CPU, every SAMPLE_SECONDS while the import runs."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.published = 0
        self.applied = 0
        self.samples: list[dict[str, float]] = []

    def progress(self) -> Progress:
        def published(n: int) -> None:
            self.published += n

        def applied(n: int) -> None:
            self.applied += n

        return Progress(published=published, applied=applied)

    async def run(self) -> None:
        started = time.monotonic()
        last = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        last_machine = _machine_busy()
        while True:
            await asyncio.sleep(SAMPLE_SECONDS)
            now = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
            machine = _machine_busy()
            busy, total = (machine[0] - last_machine[0]), (machine[1] - last_machine[1])
            sample = {
                "t": time.monotonic() - started,
                "published": float(self.published),
                "applied": float(self.applied),
                "machine_busy": busy / total if total else 0.0,
                **{f"cpu {k}": (now[k] - last[k]) / SAMPLE_SECONDS for k in now},
            }
            self.samples.append(sample)
            last, last_machine = now, machine


def _delta(before: Sums, after: Sums) -> Sums:
    return {
        key: (v[0] - before.get(key, (0.0, 0.0))[0], v[1] - before.get(key, (0.0, 0.0))[1])
        for key, v in after.items()
    }


@contextmanager
def _maybe_profiled(pid: int, out: Path | None) -> Iterator[None]:
    if out is None:
        yield
        return
    with profiled(pid, out, idle=True):
        yield


async def measure(
    settings: Settings,
    system: RunningSystem,
    import_file: Path,
    rows: int,
    profile: Path | None = None,
) -> dict[str, Any]:
    """One import of `import_file`, with the worker's timings and the timeline around it."""
    from bench.imports import import_throughput

    token = settings.metrics_token
    pids = {
        "commands worker": system.worker_pid,
        **({"followers worker": system.followers_pid} if system.followers_pid else {}),
        "analytics worker": system.analytics_pid,
        "importer (bench)": os.getpid(),
    }
    timeline = Timeline(pids)
    before = scrape(system.worker_health_url, token)
    sampling = asyncio.create_task(timeline.run())
    try:
        with _maybe_profiled(system.worker_pid, profile):
            imp = await import_throughput(
                settings,
                import_file,
                rows,
                f"bench-waits-{uuid.uuid4().hex[:8]}",
                progress=timeline.progress(),
            )
    finally:
        sampling.cancel()
    after = scrape(system.worker_health_url, token)
    timings = [
        {"metric": key[0], "labels": list(key[1:]), "seconds": secs, "count": count}
        for key, (secs, count) in _delta(before, after).items()
    ]
    return {"import": imp, "timings": timings, "timeline": timeline.samples}


def table(figures: dict[str, Any]) -> str:
    """The figures as markdown: steps, agent and collector, then the timeline."""
    imp = figures["import"]
    timings = {(t["metric"], *t["labels"]): (t["seconds"], t["count"]) for t in figures["timings"]}
    seconds, rows = imp["seconds"], imp["rows"]
    batches = max(1.0, rows / ROWS_PER_BATCH)
    lines = [
        f"import of {rows:,.0f} rows: {imp['every_store_rate']:,.0f} rows/s into every "
        f"store, {imp['postgres_mongo_rate']:,.0f}/s into Postgres + MongoDB, {seconds:.1f} s",
        "",
        "| commands worker, wall time | s in the import | ms per 500-row batch | count |",
        "|---|---:|---:|---:|",
    ]

    def row(name: str, secs: float, count: float) -> None:
        lines.append(f"| {name} | {secs:.2f} | {secs * 1000 / batches:.0f} | {count:.0f} |")

    for (metric, *labels), (secs, count) in sorted(timings.items()):
        # Labels in name order: state, topic.
        if metric == "rt_worker_agent_seconds" and "candidates" in labels[1]:
            row(f"candidates agent: {labels[0]}", secs, count)
    for (metric, *labels), (secs, count) in sorted(timings.items(), key=lambda kv: -kv[1][0]):
        if metric == "rt_worker_step_seconds" and count:
            row(f"step: {labels[0]}", secs, count)
    for (metric, *labels), (secs, count) in sorted(timings.items()):
        if metric == "rt_gc_pause_seconds":
            row(f"garbage collector, generation {labels[0]}", secs, count)
    lines += ["", "| t (s) | sent | settled | in flight (rows) | machine busy | CPU by process |"]
    lines.append("|---:|---:|---:|---:|---:|---|")
    step = max(1, int(5 / SAMPLE_SECONDS))
    for sample in figures["timeline"][::step]:
        cpus = ", ".join(f"{k[4:]} {v:.0%}" for k, v in sample.items() if k.startswith("cpu "))
        lines.append(
            f"| {sample['t']:.0f} | {sample['published']:,.0f} | {sample['applied']:,.0f} | "
            f"{sample['published'] - sample['applied']:,.0f} | {sample['machine_busy']:.0%} | "
            f"{cpus} |"
        )
    return "\n".join(lines)
