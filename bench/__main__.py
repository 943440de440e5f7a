"""`make bench`: the whole system's figures, each against a baseline measured in the run.

Figures: bulk import throughput (candidates/s into every store) against a raw `COPY` of
the same rows; accept rate (commands/s), end-to-end create throughput, command-to-visible
latency (POST until readable by GET, and until found by search) at a steady offered rate,
the same run's no-op Faust agent rate on the same broker and partition count, resident
memory, relevance, search latency, the live analytics (event → SSE latency, and
throughput against a no-op agent on the same backlog), and what sealing personal data
costs (bench/encryption.py: create and import throughput against PERSONAL_DATA_SEALING=off).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from opensearchpy import AsyncOpenSearch
from rich.progress import Progress
from rich.table import Table

from bench.analytics import analytics_throughput, sse_latency
from bench.creates import candidate_body, console, login, throughput
from bench.encryption import measure as encryption_costs
from bench.environment import BENCH_ENV, UNLIMITED, use_bench_stores
from bench.imports import copy_baseline, import_throughput, write_candidates_csv
from bench.memory import resident_mib
from bench.profiling import profiled
from bench.relevance import SETS, evaluate
from bench.search_at_scale import agency_for_search
from bench.search_latency import search_latency
from bench.search_tuning import compare, merged_after_load
from bench.stats import percentile, summary_ms
from core.settings import Settings, get_settings
from stores.connections import opensearch_options
from stores.kafka_auth import client_options
from tests.harness.processes import running_system
from topics.envelopes import Actor, CommandEnvelope

ROOT = Path(__file__).resolve().parent.parent


async def latency(
    base_url: str, token: str, tenant_id: uuid.UUID, rate: float, seconds: float
) -> dict[str, list[float]]:
    """Open-loop creates at `rate`/s: POST until GET-visible, and until search finds it.

    A create answers 201 only once the agent has committed it, so the time to 201 is the
    time to GET-visible. Search visibility is polled with one query for every candidate
    still awaited, so that polling does not itself load the system.
    """
    settings = get_settings()
    run = uuid.uuid4().hex[:6]
    get_latency: list[float] = []
    search_latency: list[float] = []
    sent_at: dict[str, float] = {}
    slow: list[int] = []  # answered 202: not applied within the gateway's wait limit
    done = asyncio.Event()
    search = AsyncOpenSearch(**opensearch_options(settings))
    alias = f"{settings.index_prefix}-candidates"

    async def poll_search() -> None:
        while not (done.is_set() and not sent_at):
            waiting = list(sent_at)
            if waiting:
                result = await search.search(
                    index=alias,
                    body={
                        "size": len(waiting),
                        "_source": False,
                        "query": {
                            "bool": {
                                "filter": [
                                    {"term": {"tenant_id": str(tenant_id)}},
                                    {"ids": {"values": waiting}},
                                ]
                            }
                        },
                    },
                )
                now = time.perf_counter()
                for hit in result["hits"]["hits"]:
                    started = sent_at.pop(hit["_id"], None)
                    if started is not None:
                        search_latency.append(now - started)
            await asyncio.sleep(0.01)

    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=400)
    async with aiohttp.ClientSession(base_url, headers=headers, connector=connector) as session:

        async def one(i: int) -> None:
            body = json.dumps(candidate_body(i, run)).encode()
            started = time.perf_counter()
            async with session.post("/api/v1/candidates", data=body) as r:
                if r.status == 202:
                    slow.append(i)
                    return
                if r.status != 201:
                    raise RuntimeError(f"create answered {r.status}: {await r.text()}")
                candidate_id = (await r.json())["id"]
            get_latency.append(time.perf_counter() - started)
            sent_at[candidate_id] = started

        poller = asyncio.create_task(poll_search())
        tasks = []
        total = int(rate * seconds)
        t0 = time.perf_counter()
        with Progress(console=console, transient=True) as progress:
            bar = progress.add_task(f"{rate:.0f} creates/s", total=total)
            for i in range(total):
                await asyncio.sleep(max(0.0, t0 + i / rate - time.perf_counter()))
                tasks.append(asyncio.create_task(one(i)))
                progress.advance(bar)
            await asyncio.gather(*tasks)
        done.set()
        await asyncio.wait_for(poller, timeout=60)
    await search.close()
    if slow:
        console.print(f"  {len(slow)} creates were still pending after the gateway's wait limit")
    return {"get": get_latency, "search": search_latency}


async def noop_baseline(n: int) -> float:
    """The same broker and partition count, a Faust agent that only counts."""
    settings = get_settings()
    topic = f"rt.bench.noop.{uuid.uuid4().hex[:8]}"
    # A topic outside the contract, so the admin (bench tooling) makes, fills and reads it.
    admin_login = client_options(settings, settings.kafka_login("admin"))
    admin = AIOKafkaAdminClient(**admin_login)
    await admin.start()
    await admin.create_topics([NewTopic(topic, settings.kafka_partitions, 1)])
    producer = AIOKafkaProducer(**admin_login, acks="all", linger_ms=5)
    await producer.start()
    tenant = uuid.uuid4()
    for i in range(n):
        key = uuid.uuid4()
        envelope = CommandEnvelope(
            command_id=uuid.uuid4(),
            type="candidate.create",
            tenant_id=tenant,
            actor=Actor(id="bench"),
            payload={**candidate_body(i, "noop"), "candidate_id": str(key)},
        )
        await producer.send(topic, envelope.model_dump_json().encode(), key=str(key).encode())
    await producer.flush()
    await producer.stop()
    out = ROOT / "bench" / "results" / "noop.json"
    out.unlink(missing_ok=True)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.noop_worker",
        topic,
        str(n),
        str(out),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    await asyncio.wait_for(proc.wait(), timeout=300)
    await admin.delete_topics([topic])
    await admin.close()
    result = json.loads(out.read_text())
    return float(result["count"] / result["seconds"])


async def relevance(settings: Settings, base_url: str) -> dict[str, dict[str, Any]]:
    """Both labelled sets (300 candidates, 20 requisitions each), graded."""
    figures = {}
    for name, path in SETS.items():
        console.print(f"[bold]relevance[/]: the {name} set ({path.name})")
        rel = await evaluate(settings, base_url, path)
        console.print(
            f"  nDCG@10 matching {rel['match_ndcg10']:.3f}, keyword search "
            f"{rel['search_ndcg10']:.3f}, BM25 baseline {rel['bm25_ndcg10']:.3f}; "
            f"recall@50 matching {rel['match_recall50']:.3f}"
        )
        figures[name] = rel
    return figures


def relevance_rows(table: Table, figures: dict[str, dict[str, Any]]) -> None:
    labels = (
        ("match", "matching"),
        ("search", "keyword search (q=)"),
        ("bm25", "BM25 baseline"),
        ("ceiling", "ceiling of a skills-only query (mean over tie orders)"),
        ("ceiling_worst", "ceiling of a skills-only query (worst tie order)"),
        ("search_skills", "keyword search graded by skill coverage alone"),
    )
    for set_name, rel in figures.items():
        for name, label in labels:
            if f"{name}_ndcg10" not in rel:
                continue
            table.add_row(
                f"{set_name} set, {label}: nDCG@10 / recall@50",
                f"{rel[f'{name}_ndcg10']:.3f} / {rel[f'{name}_recall50']:.3f}",
            )


async def run_relevance() -> None:
    """`python -m bench --relevance-only`: the two labelled sets alone, a few minutes."""
    env = {**os.environ, **UNLIMITED}
    settings = get_settings()
    with running_system(env, ROOT / "bench" / "results" / "logs", ROOT) as system:
        rel = await relevance(settings, system.base_url)
    table = Table(title="RefactorTrack: relevance")
    table.add_column("figure")
    table.add_column("value", justify="right")
    relevance_rows(table, rel)
    console.print(table)
    out = ROOT / "bench" / "results" / "relevance.json"
    out.write_text(json.dumps(rel, indent=1))
    console.print(f"raw figures: {out}")


def import_rows(table: Table, rows: int, imp: dict[str, Any], copy_rate: float) -> None:
    """The import figures, against the raw COPY of the same rows."""
    table.add_row(
        f"import {rows:,} candidates: every store",
        f"{imp['every_store_rate']:.0f} candidates/s (target >= 5000)",
    )
    table.add_row("import: Postgres + MongoDB", f"{imp['postgres_mongo_rate']:.0f} candidates/s")
    table.add_row("raw COPY of the same rows (baseline)", f"{copy_rate:.0f} rows/s")
    table.add_row(
        "ratio import / COPY", f"{imp['every_store_rate'] / copy_rate:.3f} (target >= 0.10)"
    )


async def run_imports(args: argparse.Namespace) -> None:
    """`python -m bench --imports-only`: the import figures alone (import and raw COPY of
    the same rows, in one run); with `--profile NAME`, py-spy samples the domain worker
    during the import into bench/results/profile-import-NAME.svg (and .txt, the stacks)."""
    env = {**os.environ, **UNLIMITED}
    settings = get_settings()
    import_file = ROOT / "bench" / "results" / "import.csv"
    write_candidates_csv(import_file, args.import_rows)
    with running_system(env, ROOT / "bench" / "results" / "logs", ROOT) as system:
        console.print(f"[bold]import[/]: {args.import_rows} candidates from CSV")
        slug = f"bench-import-{uuid.uuid4().hex[:8]}"
        if args.profile:
            out = ROOT / "bench" / "results" / f"profile-import-{args.profile}.svg"
            with profiled(system.worker_pid, out):
                imp = await import_throughput(settings, import_file, args.import_rows, slug)
            console.print(f"  profile of the domain worker: {out}")
        else:
            imp = await import_throughput(settings, import_file, args.import_rows, slug)
        copy_rate = await copy_baseline(settings, import_file)
    table = Table(title="RefactorTrack: bulk import")
    table.add_column("figure")
    table.add_column("value", justify="right")
    import_rows(table, args.import_rows, imp, copy_rate)
    console.print(table)
    out = ROOT / "bench" / "results" / "imports.json"
    out.write_text(json.dumps({**imp, "copy_baseline_rate": copy_rate}, indent=1))
    console.print(f"raw figures: {out}")


async def run_search_at(n: int, rounds: int) -> None:
    """`python -m bench --search-at N`: search latency over one agency of N candidates,
    loaded straight into the index (bench/search_at_scale.py), API against raw."""
    env = {**os.environ, **UNLIMITED}
    settings = get_settings()
    slug, load = await agency_for_search(settings, n)
    with running_system(env, ROOT / "bench" / "results" / "logs", ROOT) as system:
        console.print(f"[bold]search latency[/] over {n:,} candidates, {rounds} queries")
        lat = await search_latency(settings, system.base_url, slug, rounds=rounds)
    table = Table(title=f"RefactorTrack: search at {n:,} candidates (boolean + facets)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for side, label in (("api", "API"), ("raw", "raw OpenSearch")):
        table.add_row(
            f"{label} p50 / p95 / p99",
            " / ".join(f"{lat[f'{side}_p{p}_ms']:.1f}" for p in (50, 95, 99)) + " ms",
        )
    table.add_row("ratio API / raw p95", f"{lat['api_raw_p95_ratio']:.2f} (target <= 1.2)")
    table.add_row("p95 target", "<= 50 ms")
    table.add_row("load", f"{load['docs_per_second']:.0f} docs/s, {load['segments']:.0f} segments")
    console.print(table)
    out = ROOT / "bench" / "results" / f"search_at_{n}.json"
    out.write_text(json.dumps({"candidates": n, "load": load, "search_latency_ms": lat}, indent=1))
    console.print(f"raw figures: {out}")


async def run_search_merge(n: int, rounds: int) -> None:
    """`python -m bench --search-at N --search-merge`: the search latency over the agency
    as the load left it, then again once its segments are merged (optimise-search)."""
    env = {**os.environ, **UNLIMITED}
    settings = get_settings()
    slug, load = await agency_for_search(settings, n)
    phases: dict[str, dict[str, float]] = {}
    with running_system(env, ROOT / "bench" / "results" / "logs", ROOT) as system:
        console.print(f"[bold]search latency[/] over {n:,} candidates as loaded")
        phases["as loaded"] = await search_latency(settings, system.base_url, slug, rounds=rounds)
        before, after, took = await merged_after_load(settings)
        console.print(f"  merged {before} segments into {after} in {took:.0f} s")
        phases["merged"] = await search_latency(settings, system.base_url, slug, rounds=rounds)
    table = Table(title=f"RefactorTrack: search at {n:,} candidates, as loaded and merged")
    table.add_column("figure")
    for name in phases:
        table.add_column(name, justify="right")
    for side, label in (("api", "API"), ("raw", "raw OpenSearch")):
        table.add_row(
            f"{label} p50 / p95 ms",
            *(f"{f[f'{side}_p50_ms']:.1f} / {f[f'{side}_p95_ms']:.1f}" for f in phases.values()),
        )
    table.add_row(
        "ratio API / raw p95", *(f"{f['api_raw_p95_ratio']:.2f}" for f in phases.values())
    )
    table.add_row("segments", str(before), str(after))
    console.print(table)
    out = ROOT / "bench" / "results" / f"search_merge_{n}.json"
    merge = {"segments_before": before, "segments_after": after, "seconds": took}
    out.write_text(json.dumps({"candidates": n, "load": load, "merge": merge, **phases}, indent=1))
    console.print(f"raw figures: {out}")


async def run_search_compare(base: Path, rounds: int, profile: str | None) -> None:
    """`python -m bench --search-compare BASE`: this tree's search against BASE's, on the
    agency the last `--search-at` left in the index (bench/search_tuning.py)."""
    settings = get_settings()
    figures = await compare(settings, base, ROOT, rounds, profile)
    table = Table(title=f"RefactorTrack: search, this tree against {base}")
    table.add_column("figure")
    table.add_column("p50 / p95", justify="right")
    for side in ("api-base", "api-branch", "raw-base", "raw-branch"):
        table.add_row(side, f"{figures[f'{side}_p50_ms']:.1f} / {figures[f'{side}_p95_ms']:.1f} ms")
    for tree in ("base", "branch"):
        table.add_row(f"{tree}: API / raw p95", f"{figures[f'{tree}_api_raw_p95_ratio']:.2f}")
    console.print(table)
    out = ROOT / "bench" / "results" / "search_compare.json"
    out.write_text(json.dumps({"base": str(base), **figures}, indent=1))
    console.print(f"raw figures: {out}")


async def run(args: argparse.Namespace) -> None:
    env = {**os.environ, **UNLIMITED}
    settings = get_settings()
    import_file = ROOT / "bench" / "results" / "import.csv"
    write_candidates_csv(import_file, args.import_rows)
    with running_system(env, ROOT / "bench" / "results" / "logs", ROOT) as system:
        token, tenant_id = await login(system.base_url)
        console.print(f"[bold]throughput[/]: {args.n} creates, {args.concurrency} clients")
        tp = await throughput(system.base_url, token, tenant_id, args.n, args.concurrency)
        console.print(f"  accept {tp['accept_rate']:.0f}/s, end-to-end {tp['e2e_rate']:.0f}/s")
        console.print(f"[bold]latency[/]: {args.rate}/s for {args.seconds}s")
        lat = await latency(system.base_url, token, tenant_id, args.rate, args.seconds)
        console.print(f"  GET {summary_ms(lat['get'])}; search {summary_ms(lat['search'])}")
        memory = resident_mib()
        rel = await relevance(settings, system.base_url)
        console.print(
            f"[bold]analytics latency[/]: {args.analytics_rate:.0f} events/s for "
            f"{args.seconds:.0f}s, event produced → SSE update received"
        )
        sse_token, sse_tenant = await login(system.base_url)
        sse = await sse_latency(
            system.base_url, sse_token, sse_tenant, settings, args.analytics_rate, args.seconds
        )
        console.print(f"  {summary_ms(sse)}")
    console.print("[bold]baseline[/]: no-op Faust agent")
    noop = await noop_baseline(args.n)
    console.print(f"[bold]analytics throughput[/]: {args.analytics_events} events, same backlog")
    an = await analytics_throughput(settings, args.analytics_events)
    console.print(
        f"  analytics {an['analytics_rate']:.0f} events/s, no-op {an['noop_rate']:.0f} events/s"
    )
    # Last: the import leaves the servers vacuuming and merging for a while after, which
    # would weigh on the figures of anything measured after it.
    with running_system(env, ROOT / "bench" / "results" / "logs", ROOT) as system:
        console.print(f"[bold]import[/]: {args.import_rows} candidates from CSV")
        slug = f"bench-import-{uuid.uuid4().hex[:8]}"
        imp = await import_throughput(settings, import_file, args.import_rows, slug)
        console.print(
            f"  {imp['every_store_rate']:.0f}/s into every store "
            f"({imp['postgres_mongo_rate']:.0f}/s into Postgres and MongoDB)"
        )
        copy_rate = await copy_baseline(settings, import_file)
        console.print(f"  baseline: raw COPY of the same rows {copy_rate:.0f}/s")
        console.print(f"[bold]search latency[/] over the {args.import_rows:,} imported")
        lat_search = await search_latency(settings, system.base_url, slug)
        console.print(
            f"  API p95 {lat_search['api_p95_ms']:.1f} ms, "
            f"raw OpenSearch p95 {lat_search['raw_p95_ms']:.1f} ms"
        )

    table = Table(title="RefactorTrack: candidate creation")
    table.add_column("figure")
    table.add_column("value", justify="right")
    import_rows(table, args.import_rows, imp, copy_rate)
    relevance_rows(table, rel)
    table.add_row(
        f"search p50 / p95 @ {args.import_rows:,} (boolean + facets)",
        f"{lat_search['api_p50_ms']:.1f} / {lat_search['api_p95_ms']:.1f} ms (p95 target <= 50)",
    )
    table.add_row(
        "same request raw to OpenSearch p50 / p95",
        f"{lat_search['raw_p50_ms']:.1f} / {lat_search['raw_p95_ms']:.1f} ms",
    )
    table.add_row(
        "ratio API / raw p95",
        f"{lat_search['api_p95_ms'] / lat_search['raw_p95_ms']:.2f} (target <= 1.3)",
    )
    table.add_row("accept rate (POST, respond-async)", f"{tp['accept_rate']:.0f} commands/s")
    table.add_row("end-to-end create throughput", f"{tp['e2e_rate']:.0f} commands/s")
    table.add_row("no-op Faust agent (baseline)", f"{noop:.0f} messages/s")
    table.add_row("ratio end-to-end / no-op", f"{tp['e2e_rate'] / noop:.3f} (target >= 0.5)")
    table.add_row(
        f"analytics: event → SSE @ {args.analytics_rate:.0f}/s", f"{summary_ms(sse)} (p95 <= 1 s)"
    )
    table.add_row("analytics throughput", f"{an['analytics_rate']:.0f} events/s")
    table.add_row("no-op agent on the same backlog", f"{an['noop_rate']:.0f} events/s")
    table.add_row(
        "ratio analytics / no-op", f"{an['analytics_rate'] / an['noop_rate']:.2f} (target >= 0.5)"
    )
    table.add_row(f"POST→GET-visible @ {args.rate}/s", summary_ms(lat["get"]))
    table.add_row(f"POST→search-visible @ {args.rate}/s", summary_ms(lat["search"]))
    table.add_row("search p99 target", f"{percentile(lat['search'], 99) * 1000:.0f} ms (<= 250)")
    for name, mib in memory.items():
        table.add_row(f"RSS {name}", f"{mib:.0f} MiB")
    table.add_row("RSS total", f"{sum(memory.values()):.0f} MiB (target < 4096)")
    console.print(table)
    out = ROOT / "bench" / "results" / "candidates.json"
    out.write_text(
        json.dumps(
            {
                "import": {**imp, "copy_baseline_rate": copy_rate},
                "relevance": rel,
                "search_latency_ms": lat_search,
                "throughput": tp,
                "noop_rate": noop,
                "analytics": {**an, "sse_latency_ms": [x * 1000 for x in sse]},
                "latency_ms": {k: [x * 1000 for x in v] for k, v in lat.items()},
                "rss_mib": memory,
            },
            indent=1,
        )
    )
    console.print(f"raw figures: {out}")
    # Last, with systems of its own: what sealing personal data costs, against a baseline
    # with it off, in this same run.
    await encryption_costs(
        args.encryption_n, args.concurrency, args.encryption_import_rows, args.encryption_rounds
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000, help="creates for the throughput run")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=200.0, help="offered creates/s")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--analytics-rate", type=float, default=100.0, help="events/s for the SSE latency"
    )
    parser.add_argument(
        "--analytics-events", type=int, default=20_000, help="backlog for analytics throughput"
    )
    parser.add_argument(
        "--import-rows",
        type=int,
        default=100_000,
        help="rows of the import, then the agency search latency is measured on",
    )
    parser.add_argument(
        "--encryption-n", type=int, default=2000, help="creates of each sealing on/off run"
    )
    parser.add_argument(
        "--encryption-import-rows", type=int, default=20_000, help="rows of each on/off import"
    )
    parser.add_argument(
        "--encryption-rounds", type=int, default=5000, help="candidates timed per crypto step"
    )
    parser.add_argument(
        "--relevance-only", action="store_true", help="only the labelled sets' relevance"
    )
    parser.add_argument(
        "--imports-only", action="store_true", help="only the import figures (and COPY baseline)"
    )
    parser.add_argument(
        "--profile",
        metavar="NAME",
        help="with --imports-only: py-spy the domain worker into profile-import-NAME.svg",
    )
    parser.add_argument(
        "--search-at",
        type=int,
        default=0,
        metavar="N",
        help="only search latency over one agency of N candidates bulk-loaded into the "
        "index (e.g. 1000000); off by default",
    )
    parser.add_argument(
        "--search-rounds", type=int, default=200, help="queries timed by --search-at"
    )
    parser.add_argument(
        "--search-compare",
        type=Path,
        metavar="BASE",
        help="only this tree's search against the code at BASE (e.g. `git archive main`), "
        "on the agency the last --search-at left; the stores are not emptied",
    )
    parser.add_argument(
        "--search-merge",
        action="store_true",
        help="with --search-at: measure again after merging the index's segments",
    )
    parser.add_argument(
        "--search-profile", metavar="NAME", help="with --search-compare: py-spy this gateway"
    )
    args = parser.parse_args()
    if args.search_compare:
        # Measures what --search-at loaded: emptying the stores would throw it away.
        for key, value in BENCH_ENV.items():
            os.environ.setdefault(key, value)
        asyncio.run(
            run_search_compare(args.search_compare, args.search_rounds, args.search_profile)
        )
        return
    # After the arguments: `--help` or a typo must not empty the bench's stores.
    use_bench_stores()
    # A fresh clone has no results directory (it is not in git): every figure lands there.
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    if args.search_at and args.search_merge:
        asyncio.run(run_search_merge(args.search_at, args.search_rounds))
    elif args.search_at:
        asyncio.run(run_search_at(args.search_at, args.search_rounds))
    elif args.relevance_only:
        asyncio.run(run_relevance())
    elif args.imports_only:
        asyncio.run(run_imports(args))
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
