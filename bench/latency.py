"""`python -m bench --latency-only`: the interactive path, run after run, with where its
time goes.

Each run offers creates open-loop at `--rate`/s for `--seconds` s (as `make bench`'s
latency phase) and times POST → 201 (GET-visible: a 201 comes only after the commit) and
POST → search-visible. Then the respond-async throughput phase and the no-op Faust agent
on the same broker give the end-to-end / no-op ratio.

Where the time of one create goes is read from the timestamps the system keeps anyway,
so nothing is added to the path being measured (all processes share this machine's
clock):

- the command's log-append time on its topic (the broker stamps command topics);
- the ledger row's `processed_at` (Postgres `now()`: the start of the worker's
  transaction) and the candidate's `created_at` (the handler's clock);
- the `candidate.created` event's timestamp (stamped by the worker's producer as it sends,
  after the commit).

So a create's time splits into: gateway (POST until the broker appended the command:
HTTP, auth, validation, sealing, the outcome key, the produce with acks from every
replica), consume (appended until the worker's transaction began: fetch, the batching
window, queueing behind the batch before), apply (the transaction: ledger, handler,
audit, commit), and notify (the event sent until the client has its 201: events, outcome
to Redis, pub/sub, the gateway reading the row back, the response). Kafka stamps are
milliseconds, so each stage is good to a millisecond.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiokafka import AIOKafkaConsumer, TopicPartition
from opensearchpy import AsyncOpenSearch
from sqlalchemy import select

from bench.creates import applied_count, candidate_body, console, login
from bench.environment import RESULTS, UNLIMITED
from bench.figures import (
    cpu_figures,
    create_ceiling_figures,
    latency_figures,
    throughput_figures,
)
from bench.latency_split import (
    GATEWAY_PARTS,
    NOTIFY_PARTS,
    gateway_parts,
    notify_parts,
    server_timing,
    stage_means,
    worker_stages,
)
from bench.profiling import profiled
from bench.report import Figure, Report, cpus
from bench.stack_cpu import StackMeter
from bench.stats import percentile
from core.settings import Settings, get_settings
from stores.connections import opensearch_options
from stores.kafka_auth import client_options
from stores.postgres.database import Database
from stores.postgres.tables import candidates, processed_commands
from tests.harness.processes import running_system
from topics.names import CANDIDATE_COMMANDS, CANDIDATE_EVENTS

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("gateway", "consume", "apply", "notify")


# How often the offered load asks the index which of its creates it can find yet.
SEARCH_POLL_SECONDS = 0.02


@dataclass
class Create:
    """One create as the client saw it (wall-clock seconds)."""

    sent: float
    answered: float = 0.0
    candidate_id: str = ""
    command_id: str = ""
    searchable: float = 0.0
    timing: dict[str, float] = field(default_factory=dict)  # its Server-Timing


@dataclass
class Run:
    creates: list[Create] = field(default_factory=list)
    slow: int = 0  # answered 202: not applied within the gateway's wait
    busy: int = 0  # answered 503: the gateway held more writes than it may (admission)
    busy_ms: list[float] = field(default_factory=list)  # how long each 503 took


async def offered_load(
    settings: Settings,
    base_url: str,
    token: str,
    tenant_id: uuid.UUID,
    rate: float,
    seconds: float,
) -> Run:
    """Open-loop creates at `rate`/s; each timed to its 201 and until search finds it."""
    tag = uuid.uuid4().hex[:6]
    run = Run()
    awaited: dict[str, Create] = {}
    done = asyncio.Event()
    search = AsyncOpenSearch(**opensearch_options(settings))
    alias = f"{settings.index_prefix}-candidates"

    async def poll_search() -> None:
        # One query for every candidate still awaited, so polling adds little load.
        while not (done.is_set() and not awaited):
            if awaited:
                found = await search.search(
                    index=alias,
                    body={
                        "size": len(awaited),
                        "_source": False,
                        "query": {
                            "bool": {
                                "filter": [
                                    {"term": {"tenant_id": str(tenant_id)}},
                                    {"ids": {"values": list(awaited)}},
                                ]
                            }
                        },
                    },
                )
                now = time.time()
                for hit in found["hits"]["hits"]:
                    create = awaited.pop(hit["_id"], None)
                    if create is not None:
                        create.searchable = now
            # Every 20 ms: a new candidate becomes searchable only at the index's refresh
            # (every 200 ms), so polling faster gains little precision and costs the
            # system under test (OpenSearch, the cores) and this loop its searches.
            await asyncio.sleep(SEARCH_POLL_SECONDS)

    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=400)
    async with aiohttp.ClientSession(base_url, headers=headers, connector=connector) as session:

        async def one(i: int) -> None:
            body = json.dumps(candidate_body(i, tag)).encode()
            create = Create(sent=time.time())
            async with session.post("/api/v1/candidates", data=body) as r:
                if r.status == 202:
                    run.slow += 1
                    return
                if r.status == 503:
                    run.busy += 1
                    run.busy_ms.append((time.time() - create.sent) * 1000)
                    return
                if r.status != 201:
                    raise RuntimeError(f"create answered {r.status}: {await r.text()}")
                create.candidate_id = (await r.json())["id"]
            create.answered = time.time()
            create.timing = server_timing(r.headers.get("Server-Timing"))
            run.creates.append(create)
            awaited[create.candidate_id] = create

        poller = asyncio.create_task(poll_search())
        tasks = []
        t0 = time.perf_counter()
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, t0 + i / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
        done.set()
        await asyncio.wait_for(poller, timeout=60)
    await search.close()
    return run


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_per_create(before: dict[str, float], pids: dict[str, int], n: int) -> dict[str, float]:
    """CPU milliseconds each of our processes spent per create since `before`."""
    return {name: (cpu_seconds(pid) - before[name]) * 1000 / n for name, pid in pids.items()}


async def throughput_retrying(
    settings: Settings, base_url: str, token: str, tenant_id: uuid.UUID, n: int, concurrency: int
) -> dict[str, float]:
    """`bench/creates.py::throughput`, but a client told 503 sends again after a pause, as
    a client heeding Retry-After would (sooner, to keep the load on): on a starved
    machine the gateway refuses some writes at its door, and the phase still ends with a
    figure. The refusals are counted."""
    tag = uuid.uuid4().hex[:6]
    headers = {
        "Authorization": f"Bearer {token}",
        "Prefer": "respond-async",
        "Content-Type": "application/json",
    }
    bodies = [json.dumps(candidate_body(i, tag)).encode() for i in range(n)]
    pending = iter(range(n))
    refused = 0
    db = Database(settings)
    await db.start()
    before = await applied_count(db, tenant_id)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(base_url, headers=headers, connector=connector) as session:

        async def sender() -> None:
            nonlocal refused
            for i in pending:
                while True:
                    async with session.post("/api/v1/candidates", data=bodies[i]) as r:
                        await r.read()
                        if r.status == 202:
                            break
                        if r.status != 503:
                            raise RuntimeError(f"create answered {r.status}")
                    refused += 1
                    await asyncio.sleep(0.2)

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        accepted_at = time.perf_counter()
        while await applied_count(db, tenant_id) - before < n:  # noqa: ASYNC110 (a poll)
            await asyncio.sleep(0.02)
        applied_at = time.perf_counter()
    await db.stop()
    return {
        "accept_rate": n / (accepted_at - started),
        "e2e_rate": n / (applied_at - started),
        "refused_503": refused,
    }


async def _topic_times(settings: Settings, topic: str, keys: set[str]) -> dict[str, float]:
    """Each key's first message timestamp on `topic` (seconds), read as the admin."""
    consumer = AIOKafkaConsumer(
        **client_options(settings, settings.kafka_login("admin")),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    stamps: dict[str, float] = {}
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [
                TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []
            ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for records in batches.values():
                for record in records:
                    key = (record.key or b"").decode()
                    if key in keys and key not in stamps:
                        stamps[key] = record.timestamp / 1000
    finally:
        await consumer.stop()
    return stamps


async def stage_times(settings: Settings, run: Run) -> list[dict[str, float]]:
    """Per create, milliseconds in each stage (creates whose every stamp was found)."""
    ids = {c.candidate_id for c in run.creates}
    ns = settings.topic_namespace
    appended = await _topic_times(settings, CANDIDATE_COMMANDS.name(ns), ids)
    emitted = await _topic_times(settings, CANDIDATE_EVENTS.name(ns), ids)
    db = Database(settings)
    await db.start()
    began: dict[str, float] = {}
    try:
        async with db.read() as conn:
            rows = await conn.execute(
                select(processed_commands.c.resource_id, processed_commands.c.processed_at).where(
                    processed_commands.c.resource_id.in_([uuid.UUID(i) for i in ids])
                )
            )
            began = {str(r.resource_id): _seconds(r.processed_at) for r in rows}
            rows = await conn.execute(
                select(candidates.c.id, candidates.c.created_at).where(
                    candidates.c.id.in_([uuid.UUID(i) for i in ids])
                )
            )
            handled = {str(r.id): _seconds(r.created_at) for r in rows}
    finally:
        await db.stop()
    out = []
    for c in run.creates:
        i = c.candidate_id
        if i in appended and i in began and i in emitted and i in handled:
            out.append(
                {
                    "gateway": (appended[i] - c.sent) * 1000,
                    "consume": (began[i] - appended[i]) * 1000,
                    "apply": (emitted[i] - began[i]) * 1000,
                    "notify": (c.answered - emitted[i]) * 1000,
                    "handler_started": (handled[i] - began[i]) * 1000,
                    "total": (c.answered - c.sent) * 1000,
                    "appended_at": appended[i],
                    **notify_parts(c.timing, appended[i], emitted[i], c.answered),
                    **gateway_parts(c.timing, c.sent, appended[i]),
                }
            )
    return out


def _seconds(at: datetime) -> float:
    return at.timestamp()


def summary(run: Run, stages: list[dict[str, float]]) -> dict[str, Any]:
    get = [(c.answered - c.sent) * 1000 for c in run.creates]
    found = [(c.searchable - c.sent) * 1000 for c in run.creates if c.searchable]
    figures: dict[str, Any] = {
        "n": len(get),
        "slow_202": run.slow,
        "busy_503": run.busy,
        "get_ms": {f"p{p}": percentile(get, p) for p in (50, 95, 99)},
        "busy_503_ms": {f"p{p}": percentile(run.busy_ms, p) for p in (50, 95, 99)},
        "search_ms": {f"p{p}": percentile(found, p) for p in (50, 95, 99)},
        "stages_ms": {
            name: {
                "mean": sum(s[name] for s in stages) / len(stages) if stages else float("nan"),
                **{f"p{p}": percentile([s[name] for s in stages], p) for p in (50, 99)},
            }
            for name in (*STAGES, "total", *NOTIFY_PARTS, *GATEWAY_PARTS)
            if all(name in s for s in stages)
        },
    }
    # Where the slowest 1% spent their time: the stage means over the creates at or
    # above the p99 total.
    cut = percentile([s["total"] for s in stages], 99)
    tail = [s for s in stages if s["total"] >= cut]
    figures["stages_of_slowest_1pct_ms"] = {
        name: sum(s[name] for s in tail) / len(tail) if tail else float("nan") for name in STAGES
    }
    figures["consume_stalls"] = consume_stalls(stages)
    return figures


STALL_MS = 500.0
"""A command that waited this long between the broker's append and the worker's
transaction was held up by more than the set before it."""


def consume_stalls(stages: list[dict[str, float]]) -> list[dict[str, Any]]:
    """When commands waited STALL_MS or more to be taken (by the broker's append time, UTC,
    to lay beside the servers' logs): runs of such commands appended within a second of
    each other, each with its count and longest wait."""
    slow = sorted(
        (s["appended_at"], s["consume"]) for s in stages if s.get("consume", 0.0) >= STALL_MS
    )
    stalls: list[dict[str, Any]] = []
    for at, waited in slow:
        if stalls and at - stalls[-1]["last"] <= 1.0:
            stall = stalls[-1]
            stall["last"], stall["n"] = at, stall["n"] + 1
            stall["longest_ms"] = max(stall["longest_ms"], waited)
        else:
            stalls.append({"first": at, "last": at, "n": 1, "longest_ms": waited})
    return [
        {
            "from": datetime.fromtimestamp(s["first"], UTC).isoformat(timespec="milliseconds"),
            "to": datetime.fromtimestamp(s["last"], UTC).isoformat(timespec="milliseconds"),
            "commands": s["n"],
            "longest_ms": round(s["longest_ms"]),
        }
        for s in stalls
    ]


def _stage_lines(figures: dict[str, Any]) -> None:
    stages, tail = figures["stages_ms"], figures["stages_of_slowest_1pct_ms"]
    for name in STAGES:
        console.print(
            f"    {name:8} mean {stages[name]['mean']:7.1f}  p50 {stages[name]['p50']:7.1f}  "
            f"p99 {stages[name]['p99']:7.1f}  slowest 1% {tail[name]:7.1f} ms"
        )
    for group, parts in (("gateway", GATEWAY_PARTS), ("notify", NOTIFY_PARTS)):
        for name in parts:
            if name in stages:
                console.print(
                    f"      {group}: {name:8} mean {stages[name]['mean']:7.1f}  "
                    f"p50 {stages[name]['p50']:7.1f}  p99 {stages[name]['p99']:7.1f} ms"
                )
    for name, got in figures.get("worker_stages_ms", {}).items():
        console.print(f"      worker: {name:11} mean {got['mean_ms']:7.1f} ms (n={got['n']})")
    for stall in figures.get("consume_stalls", []):
        console.print(
            f"      stall: {stall['commands']} commands appended {stall['from']} to "
            f"{stall['to']} waited up to {stall['longest_ms']} ms to be taken"
        )


def _ms(values: dict[str, float]) -> str:
    return " / ".join(f"{values[f'p{p}']:.0f}" for p in (50, 95, 99))


async def run_latency(args: argparse.Namespace, noop: Callable[[int], Awaitable[float]]) -> None:
    env = {**os.environ, **UNLIMITED}
    settings = get_settings()
    runs: list[dict[str, Any]] = []
    with running_system(env, RESULTS / "logs", ROOT) as system:
        token, tenant_id = await login(system.base_url)
        # A short warm-up: the first creates pay for connections and caches.
        await offered_load(settings, system.base_url, token, tenant_id, args.rate, 2)
        for number in range(1, args.runs + 1):
            console.print(f"[bold]latency run {number}[/]: {args.rate:.0f}/s for {args.seconds}s")
            worker_before = await worker_stages(system.worker_health_url, settings.metrics_token)
            run = await offered_load(
                settings, system.base_url, token, tenant_id, args.rate, args.seconds
            )
            worker_after = await worker_stages(system.worker_health_url, settings.metrics_token)
            figures = summary(run, await stage_times(settings, run))
            figures["worker_stages_ms"] = stage_means(worker_before, worker_after)
            runs.append(figures)
            (RESULTS / "latency-runs.json").write_text(json.dumps(runs, indent=1))
            _stage_lines(figures)
            console.print(
                f"  POST→GET p50/p95/p99 {_ms(figures['get_ms'])} ms; "
                f"search {_ms(figures['search_ms'])} ms; "
                f"{run.slow} answered 202, {run.busy} answered 503"
                + (f" (in {_ms(figures['busy_503_ms'])} ms)" if run.busy_ms else "")
            )
            await asyncio.sleep(2)  # the followers' tail settles before the next run
        console.print(f"[bold]throughput[/]: {args.n} creates, {args.concurrency} clients")
        # Where the CPU of a create goes, process by process (the shared servers' is not
        # ours alone to count on a machine other benchmarks use).
        pids = {
            "gateway": system.gateway_pid,
            "domain worker": system.worker_pid,
            # With the followers apart (tests/harness/processes.py, RT_FOLLOWERS).
            **({"followers worker": system.followers_pid} if system.followers_pid else {}),
            "analytics worker": system.analytics_pid,
            "load generator (this process)": os.getpid(),
        }
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        servers = StackMeter()
        tp = await throughput_retrying(
            settings, system.base_url, token, tenant_id, args.n, args.concurrency
        )
        cpu = cpu_per_create(cpu_before, pids, args.n)
        server_cpu = servers.per_create(args.n)
        console.print(
            f"  accept {tp['accept_rate']:.0f}/s, end-to-end {tp['e2e_rate']:.0f}/s "
            f"({tp['refused_503']:.0f} answers 503, sent again)"
        )
        console.print("  CPU ms per create: " + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items()))
        profiles: dict[str, Any] = {}
        if args.profile:
            profiles = await _profiled_runs(args, settings, system, token, tenant_id)
    console.print("[bold]baseline[/]: no-op Faust agent")
    noop_rate = await noop(args.n)
    report = Report(f"RefactorTrack: the interactive path at {args.rate:.0f} creates/s")
    report.extend(latency_figures(runs, args.rate))
    for number, figures in enumerate(runs, 1):
        stages, tail = figures["stages_ms"], figures["stages_of_slowest_1pct_ms"]
        for name in STAGES:
            report.add(
                Figure(
                    "stages",
                    f"run {number}: {name}, mean",
                    stages[name]["mean"],
                    "ms",
                    note=f"slowest 1%: {tail[name]:.0f} ms",
                )
            )
    report.extend(throughput_figures(tp, noop_rate))
    report.extend(cpu_figures(cpu, server_cpu))
    report.extend(create_ceiling_figures(cpu, server_cpu, noop_rate, cpus(), args.rate))
    report.raw.update(
        {
            "rate": args.rate,
            "seconds": args.seconds,
            "runs": runs,
            "throughput": tp,
            "throughput_cpu_ms_per_create": cpu,
            "throughput_server_cpu_ms_per_create": server_cpu,
            "noop_rate": noop_rate,
            "e2e_noop_ratio": tp["e2e_rate"] / noop_rate,
            "profiles": profiles,
        }
    )
    report.write(RESULTS / "latency.json", console)


async def _profiled_runs(
    args: argparse.Namespace, settings: Settings, system: Any, token: str, tenant_id: uuid.UUID
) -> dict[str, Any]:
    """One more latency run and one more throughput run, each with the gateway and every
    worker under py-spy (their figures are not the measured ones: the samplers take CPU
    from a two-core machine)."""
    out: dict[str, Any] = {}
    pids = {
        "gateway": system.gateway_pid,
        "worker": system.worker_pid,
        **({"followers": system.followers_pid} if system.followers_pid else {}),
        "analytics": system.analytics_pid,
    }
    for phase in ("latency", "throughput"):
        paths = {side: RESULTS / f"profile-{phase}-{args.profile}-{side}.svg" for side in pids}
        with ExitStack() as stack:
            for side, pid in pids.items():
                stack.enter_context(profiled(pid, paths[side]))
            await asyncio.sleep(1)  # py-spy attaches
            if phase == "latency":
                run = await offered_load(
                    settings, system.base_url, token, tenant_id, args.rate, args.seconds
                )
                out[phase] = {"creates": len(run.creates)}
            else:
                tp = await throughput_retrying(
                    settings, system.base_url, token, tenant_id, args.n, args.concurrency
                )
                out[phase] = {"creates": args.n, **tp}
        console.print(f"  profiles of the {phase} phase: {', '.join(map(str, paths.values()))}")
    return out
