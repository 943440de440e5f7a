"""Scale-out, measured: `python -m bench --scale-out [--workers 1,2,4]`.

The same load against 1, 2 and 4 domain worker processes in one consumer group: a bulk
import of N candidates through the importer (its commands spread over the candidates
command topic's partitions by candidate id), timed until every outcome is in the ledger;
then interactive creates through the gateway at a fixed rate, each timed from its POST to
its 201 (the worker has committed it). Every run has a fresh system on the same topics,
whose partition count (KAFKA_PARTITIONS, 4 by default) is at least the largest number of
workers, so only the number of workers changes between runs.

Efficiency is throughput(n) / (n x throughput(1)). The machine has two cores shared with
the servers, the importer and the gateway: past two workers there is no CPU to add, so
these figures show that the work spreads over the group (and what coordination costs),
not how far it would scale on a machine with a core per worker.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from bench.cluster import resident, running_cluster
from bench.creates import candidate_body, console, login
from bench.environment import RESULTS, UNLIMITED
from bench.imports import import_throughput, write_candidates_csv
from bench.stats import percentile
from core.settings import get_settings


async def interactive(base_url: str, rate: float, seconds: float) -> list[float]:
    """Open-loop creates at `rate`/s; seconds from each POST to its 201."""
    token, _ = await login(base_url)
    run = uuid.uuid4().hex[:6]
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession(base_url, headers=headers) as session:

        async def one(i: int) -> None:
            body = json.dumps(candidate_body(i, run)).encode()
            started = time.perf_counter()
            async with session.post("/api/v1/candidates", data=body) as r:
                await r.read()
                if r.status != 201:
                    # 202: not applied within the gateway's wait; counted as that wait.
                    console.print(f"  create answered {r.status}")
            latencies.append(time.perf_counter() - started)

        total = int(rate * seconds)
        t0 = time.perf_counter()
        tasks = []
        for i in range(total):
            await asyncio.sleep(max(0.0, t0 + i / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
    return latencies


async def one_run(
    root: Path, workers: int, csv_path: Path, rows: int, rate: float, seconds: float
) -> dict[str, Any]:
    env = {**os.environ, **UNLIMITED}
    settings = get_settings()
    log_dir = RESULTS / "logs" / f"scale-{workers}"
    with running_cluster(env, log_dir, root, workers) as cluster:
        slug = f"bench-scale-{uuid.uuid4().hex[:8]}"
        imp = await import_throughput(settings, csv_path, rows, slug)
        lat = await interactive(cluster.base_url, rate, seconds)
        memory = resident(cluster)
    return {
        "workers": workers,
        "throughput": imp["postgres_mongo_rate"],
        "every_store_rate": imp["every_store_rate"],
        "created": imp["created"],
        "interactive_rate": rate,
        "p50_ms": percentile(lat, 50) * 1000,
        "p99_ms": percentile(lat, 99) * 1000,
        "interactive_n": len(lat),
        "rss_mib": {k: round(v, 1) for k, v in memory.items()},
    }


def with_efficiency(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each run's throughput(n) / (n x throughput(1)), against the smallest run's rate per
    worker when no single-worker run was made."""
    base = min(runs, key=lambda r: r["workers"])
    per_worker = base["throughput"] / base["workers"]
    return [{**r, "efficiency": r["throughput"] / (r["workers"] * per_worker)} for r in runs]


async def measure(
    root: Path, counts: list[int], rows: int, rate: float, seconds: float
) -> list[dict[str, Any]]:
    partitions = get_settings().kafka_partitions
    if max(counts) > partitions:
        raise SystemExit(
            f"--workers {max(counts)} is more than KAFKA_PARTITIONS={partitions}: the extra "
            "workers would get no partition. Set KAFKA_PARTITIONS (on a fresh TOPIC_NAMESPACE)."
        )
    csv_path = RESULTS / "scale.csv"
    write_candidates_csv(csv_path, rows)
    runs = []
    for n in counts:
        # Each run imports into a new agency on freshly started processes.
        console.print(f"[bold]scale-out[/]: {n} domain worker(s), {rows:,} imported")
        run = await one_run(root, n, csv_path, rows, rate, seconds)
        console.print(
            f"  {run['throughput']:.0f} commands/s; interactive p99 {run['p99_ms']:.0f} ms"
        )
        runs.append(run)
    return with_efficiency(runs)
