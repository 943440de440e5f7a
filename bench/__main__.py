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
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.analytics import analytics_throughput, sse_latency
from bench.cluster import servers_mib, tree_mib
from bench.creates import candidate_body, console, login
from bench.encryption import measure as encryption_costs
from bench.environment import BENCH_ENV, RESULTS, UNLIMITED, use_bench_stores
from bench.figures import (
    SEARCH_API_RAW_RATIO,
    analytics_figures,
    cpu_figures,
    create_ceiling_figures,
    encryption_figures,
    import_figures,
    latency_figures,
    memory_figures,
    memory_growth_figures,
    relevance_figures,
    scale_out_figures,
    search_figures,
    throughput_figures,
)
from bench.followers_ab import measure as followers_ab
from bench.import_cpu import import_cpu_figures, measured_import
from bench.imports import copy_baseline, write_candidates_csv
from bench.latency import (
    cpu_per_create,
    cpu_seconds,
    offered_load,
    run_latency,
    stage_times,
    throughput_retrying,
)
from bench.latency import summary as latency_summary
from bench.memory_growth import measure as memory_growth
from bench.relevance import SETS, evaluate
from bench.report import Figure, Report, cpus
from bench.scale_out import measure as scale_out
from bench.search_at_scale import agency_for_search
from bench.search_audit_ab import measure as search_audit_ab
from bench.search_latency import search_latency
from bench.search_tuning import compare, merged_after_load
from bench.stack_cpu import StackMeter
from bench.stats import summary_ms
from core.settings import Settings, get_settings
from stores.kafka_auth import client_options
from tests.harness.processes import RunningSystem, running_system
from topics.envelopes import Actor, CommandEnvelope

ROOT = Path(__file__).resolve().parent.parent


def system_mib(system: RunningSystem) -> dict[str, float]:
    """Resident MiB of this run's processes (by pid: other runs may share the machine),
    then the stack's servers."""
    return {
        "gateway": tree_mib(system.gateway_pid),
        "domain worker": tree_mib(system.worker_pid),
        **({"followers worker": tree_mib(system.followers_pid)} if system.followers_pid else {}),
        "analytics worker": tree_mib(system.analytics_pid),
        **{f"{name} (shared)": mib for name, mib in servers_mib().items()},
    }


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
    out = RESULTS / "noop.json"
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


async def run_relevance() -> None:
    """`python -m bench --relevance-only`: the two labelled sets alone, a few minutes."""
    env = {**os.environ, **UNLIMITED}
    settings = get_settings()
    with running_system(env, RESULTS / "logs", ROOT) as system:
        rel = await relevance(settings, system.base_url)
    report = Report("RefactorTrack: relevance", raw=rel)
    report.extend(relevance_figures(rel))
    report.write(RESULTS / "relevance.json", console)


async def run_imports(args: argparse.Namespace) -> None:
    """`python -m bench --imports-only`: the import figures alone (import and raw COPY of
    the same rows, in one run); with `--profile NAME`, py-spy samples the domain worker
    during the import into bench/results/profile-import-NAME.svg (and .txt, the stacks)."""
    env = {**os.environ, **UNLIMITED}
    settings = get_settings()
    import_file = RESULTS / "import.csv"
    write_candidates_csv(import_file, args.import_rows)
    with running_system(env, RESULTS / "logs", ROOT) as system:
        console.print(f"[bold]import[/]: {args.import_rows} candidates from CSV")
        slug = f"bench-import-{uuid.uuid4().hex[:8]}"
        # CPU per row of each process: less at the mercy of a neighbour's load than rows/s.
        out = RESULTS / f"profile-import-{args.profile}.svg" if args.profile else None
        imp, cpu, server_cpu = await measured_import(
            settings, system, import_file, args.import_rows, slug, out
        )
        if out is not None:
            console.print(f"  profile of the domain worker: {out}")
        console.print("  CPU ms per row: " + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items()))
        console.print(
            "  servers' CPU ms per row: " + ", ".join(f"{k} {v:.2f}" for k, v in server_cpu.items())
        )
        copy_rate = await copy_baseline(settings, import_file)
    report = Report(
        "RefactorTrack: bulk import",
        raw={
            **imp,
            "copy_baseline_rate": copy_rate,
            "cpu_ms_per_row": cpu,
            "server_cpu_ms_per_row": server_cpu,
        },
    )
    report.extend(import_figures(args.import_rows, imp, copy_rate))
    report.extend(import_cpu_figures(cpu, server_cpu, copy_rate))
    report.write(RESULTS / "imports.json", console)


async def run_import_waits(args: argparse.Namespace) -> None:
    """`python -m bench --import-waits`: an import with the commands worker's step timings,
    its collector's pauses and the importer's rows in flight (bench/import_waits.py); with
    `--profile NAME`, py-spy --idle on the worker into profile-import-NAME.svg."""
    from bench import import_waits

    env = {**os.environ, **UNLIMITED}
    settings = get_settings()
    import_file = RESULTS / "import.csv"
    write_candidates_csv(import_file, args.import_rows)
    profile = RESULTS / f"profile-import-{args.profile}.svg" if args.profile else None
    with running_system(env, RESULTS / "logs", ROOT) as system:
        console.print(f"[bold]import waits[/]: {args.import_rows} candidates from CSV")
        figures = await import_waits.measure(
            settings, system, import_file, args.import_rows, profile
        )
    figures["copy_baseline_rate"] = await copy_baseline(settings, import_file)
    text = import_waits.table(figures)
    (RESULTS / "import_waits.md").write_text(text + "\n")
    (RESULTS / "import_waits.json").write_text(json.dumps(figures, indent=1))
    console.print(text)
    console.print(f"raw COPY {figures['copy_baseline_rate']:,.0f} rows/s")


def run_batch_path(base: Path, rows: int) -> None:
    """`python -m bench --batch-path BASE`: bench/batch_path.py's steps, BASE against this
    tree, written to bench/results/batch_path.md (no stores are touched)."""
    from bench import batch_path  # the worker's modules: loaded only for this run

    RESULTS.mkdir(parents=True, exist_ok=True)
    import_file = RESULTS / "import.csv"
    write_candidates_csv(import_file, max(rows, 500))
    table = batch_path.compare(base.resolve(), ROOT, import_file, rounds=6, repeats=3)
    (RESULTS / "batch_path.md").write_text(table + "\n")
    console.print(table)


async def run_search_at(n: int, rounds: int) -> None:
    """`python -m bench --search-at N`: search latency over one agency of N candidates,
    loaded straight into the index (bench/search_at_scale.py), API against raw."""
    env = {**os.environ, **UNLIMITED}
    settings = get_settings()
    slug, load = await agency_for_search(settings, n)
    with running_system(env, RESULTS / "logs", ROOT) as system:
        console.print(f"[bold]search latency[/] over {n:,} candidates, {rounds} queries")
        lat = await search_latency(settings, system.base_url, slug, rounds=rounds)
    report = Report(
        f"RefactorTrack: search at {n:,} candidates (boolean + facets)",
        raw={"candidates": n, "load": load, "search_latency_ms": lat},
    )
    report.extend(search_figures(n, lat))
    report.add(Figure("search", "bulk load into the index", load["docs_per_second"], "docs/s"))
    report.write(RESULTS / f"search_at_{n}.json", console)


async def run_memory(args: argparse.Namespace) -> None:
    """`python -m bench --memory-only [--import-rows N]`: resident memory per process
    before and after an import of N rows, and the growth per million rows."""
    figures = await memory_growth(ROOT, args.import_rows)
    report = Report(f"RefactorTrack: resident memory, import of {args.import_rows:,}", raw=figures)
    report.extend(memory_growth_figures(figures))
    report.write(RESULTS / "memory.json", console)


async def run_scale_out(args: argparse.Namespace) -> None:
    """`python -m bench --scale-out [--workers 1,2,4]`: the same load against N domain
    workers in one consumer group; throughput, p99 and efficiency."""
    counts = [int(n) for n in args.workers.split(",")]
    runs = await scale_out(ROOT, counts, args.scale_rows, args.scale_rate, args.seconds)
    report = Report(
        f"RefactorTrack: scale-out, {args.scale_rows:,} imported per run", raw={"runs": runs}
    )
    report.extend(scale_out_figures(runs))
    report.write(RESULTS / "scale_out.json", console)


async def run_search_merge(n: int, rounds: int) -> None:
    """`python -m bench --search-at N --search-merge`: the search latency over the agency
    as the load left it, then again once its segments are merged (optimise-search)."""
    env = {**os.environ, **UNLIMITED}
    settings = get_settings()
    slug, load = await agency_for_search(settings, n)
    phases: dict[str, dict[str, float]] = {}
    with running_system(env, RESULTS / "logs", ROOT) as system:
        console.print(f"[bold]search latency[/] over {n:,} candidates as loaded")
        phases["as loaded"] = await search_latency(settings, system.base_url, slug, rounds=rounds)
        before, after, took = await merged_after_load(settings)
        console.print(f"  merged {before} segments into {after} in {took:.0f} s")
        phases["merged"] = await search_latency(settings, system.base_url, slug, rounds=rounds)
    merge = {"segments_before": before, "segments_after": after, "seconds": took}
    report = Report(
        f"RefactorTrack: search at {n:,} candidates, as loaded and merged",
        raw={"candidates": n, "load": load, "merge": merge, **phases},
    )
    for name, figures in phases.items():
        report.extend([replace(f, name=f"{f.name}, {name}") for f in search_figures(n, figures)])
    report.add(Figure("search", "segments as loaded", before, ""))
    report.add(Figure("search", "segments merged", after, "", note=f"in {took:.0f} s"))
    report.write(RESULTS / f"search_merge_{n}.json", console)


async def run_search_compare(base: Path, rounds: int, profile: str | None) -> None:
    """`python -m bench --search-compare BASE`: this tree's search against BASE's, on the
    agency the last `--search-at` left in the index (bench/search_tuning.py)."""
    settings = get_settings()
    figures = await compare(settings, base, ROOT, rounds, profile)
    report = Report(
        f"RefactorTrack: search, this tree against {base}", raw={"base": str(base), **figures}
    )
    for side in ("api-base", "api-branch", "raw-base", "raw-branch"):
        report.add(
            Figure(
                "search",
                f"{side} p95",
                figures[f"{side}_p95_ms"],
                "ms",
                note=f"p50 {figures[f'{side}_p50_ms']:.1f} ms",
            )
        )
    for tree in ("base", "branch"):
        report.add(
            Figure(
                "search",
                f"{tree}: API / raw p95",
                figures[f"api-{tree}_p95_ms"],
                "ms",
                SEARCH_API_RAW_RATIO,
                baseline=figures[f"raw-{tree}_p95_ms"],
                baseline_name="raw p95 ms",
            )
        )
    report.write(RESULTS / "search_compare.json", console)


async def run_search_audit_ab(args: argparse.Namespace) -> None:
    """`python -m bench --search-audit-ab BASE`: the search's audit entry, this tree against
    BASE's code, alternately, on the agency the last `--search-at` left
    (bench/search_audit_ab.py)."""
    runs = await search_audit_ab(
        get_settings(),
        args.search_audit_ab,
        ROOT,
        args.search_rounds,
        args.ab_rounds,
        args.search_clients,
    )
    out = RESULTS / "search_audit_ab.json"
    out.write_text(json.dumps({"base": str(args.search_audit_ab), "runs": runs}, indent=2))
    console.print(f"figures: {out}")


def run_followers_ab(args: argparse.Namespace) -> None:
    """`python -m bench --followers-ab imports|latency|both`: each run is a `python -m
    bench` of its own (bench/followers_ab.py), which empties the bench's stores."""
    phases = ["imports", "latency"] if args.followers_ab == "both" else [args.followers_ab]
    extra = {
        "imports": ["--import-rows", str(args.import_rows)],
        "latency": ["--runs", str(args.runs), "--rate", str(args.rate), "--n", str(args.n)],
    }
    followers_ab(phases, args.ab_rounds, extra)


async def run(args: argparse.Namespace) -> None:
    """Every phase, in an order that keeps one from weighing on the next; one table."""
    env = {**os.environ, **UNLIMITED}
    settings = get_settings()
    report = Report()
    import_file = RESULTS / "import.csv"
    write_candidates_csv(import_file, args.import_rows)
    with running_system(env, RESULTS / "logs", ROOT) as system:
        token, tenant_id = await login(system.base_url)
        console.print(f"[bold]throughput[/]: {args.n} creates, {args.concurrency} clients")
        pids = {
            "gateway": system.gateway_pid,
            "domain worker": system.worker_pid,
            **({"followers worker": system.followers_pid} if system.followers_pid else {}),
            "analytics worker": system.analytics_pid,
        }
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        servers = StackMeter()
        tp = await throughput_retrying(
            settings, system.base_url, token, tenant_id, args.n, args.concurrency
        )
        cpu = cpu_per_create(cpu_before, pids, args.n)
        server_cpu = servers.per_create(args.n)
        console.print(f"  accept {tp['accept_rate']:.0f}/s, end-to-end {tp['e2e_rate']:.0f}/s")
        # A short warm-up: the first creates pay for connections and caches.
        await offered_load(settings, system.base_url, token, tenant_id, args.rate, 2)
        runs = []
        for i in range(args.latency_runs):
            console.print(
                f"[bold]latency[/] run {i + 1} of {args.latency_runs}: "
                f"{args.rate}/s for {args.seconds}s"
            )
            run = await offered_load(
                settings, system.base_url, token, tenant_id, args.rate, args.seconds
            )
            runs.append(latency_summary(run, await stage_times(settings, run)))
            console.print(
                f"  POST→GET p99 {runs[-1]['get_ms']['p99']:.0f} ms, "
                f"search p99 {runs[-1]['search_ms']['p99']:.0f} ms"
            )
            await asyncio.sleep(2)  # the followers' tail settles before the next run
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
    report.extend(throughput_figures(tp, noop))
    report.extend(cpu_figures(cpu, server_cpu))
    report.extend(create_ceiling_figures(cpu, server_cpu, noop, cpus(), args.rate))
    report.extend(latency_figures(runs, args.rate))
    report.extend(analytics_figures(sse, args.analytics_rate, an))
    report.extend(relevance_figures(rel))
    # Last: the import leaves the servers vacuuming and merging for a while after, which
    # would weigh on the figures of anything measured after it.
    with running_system(env, RESULTS / "logs", ROOT) as system:
        before = system_mib(system)
        console.print(f"[bold]import[/]: {args.import_rows} candidates from CSV")
        slug = f"bench-import-{uuid.uuid4().hex[:8]}"
        imp, import_cpu, import_server_cpu = await measured_import(
            settings, system, import_file, args.import_rows, slug
        )
        after = system_mib(system)
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
    report.extend(import_figures(args.import_rows, imp, copy_rate))
    report.extend(import_cpu_figures(import_cpu, import_server_cpu, copy_rate))
    report.extend(search_figures(args.import_rows, lat_search))
    report.extend(memory_figures("before the import", before))
    report.extend(memory_figures(f"after {args.import_rows:,} rows", after))
    report.raw.update(
        {
            "import": {
                **imp,
                "copy_baseline_rate": copy_rate,
                "cpu_ms_per_row": import_cpu,
                "server_cpu_ms_per_row": import_server_cpu,
            },
            "relevance": rel,
            "search_latency_ms": lat_search,
            "throughput": tp,
            "noop_rate": noop,
            "analytics": {**an, "sse_latency_ms": [x * 1000 for x in sse]},
            "latency": runs,
            "throughput_cpu_ms_per_create": cpu,
            "throughput_server_cpu_ms_per_create": server_cpu,
            "rss_mib": {"before_import": before, "after_import": after},
        }
    )
    # With systems of their own: the same load on 1, 2 and 4 domain workers.
    counts = [int(n) for n in args.workers.split(",")]
    scaled = await scale_out(ROOT, counts, args.scale_rows, args.scale_rate, args.seconds)
    report.extend(scale_out_figures(scaled))
    report.raw["scale_out"] = scaled
    # With systems of its own: what sealing personal data costs, against a baseline with
    # it off, in this same run.
    costs = await encryption_costs(
        args.encryption_n, args.concurrency, args.encryption_import_rows, args.encryption_rounds
    )
    report.extend(encryption_figures(costs))
    report.raw["encryption"] = costs
    report.write(RESULTS / "bench.json", console)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000, help="creates for the throughput run")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=200.0, help="offered creates/s")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--latency-runs", type=int, default=3, help="runs of the POST → visible latency"
    )
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
        help="with --imports-only: py-spy the domain worker into profile-import-NAME.svg; "
        "with --latency-only: the gateway and each worker into "
        "profile-{latency,throughput}-NAME-{gateway,worker,followers,analytics}.*",
    )
    parser.add_argument(
        "--latency-only",
        action="store_true",
        help="only the interactive path: --runs latency runs, by stage, and end-to-end / no-op",
    )
    parser.add_argument("--runs", type=int, default=3, help="latency runs of --latency-only")
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
        "--memory-only",
        action="store_true",
        help="only resident memory per process before and after an import of --import-rows",
    )
    parser.add_argument(
        "--scale-out",
        action="store_true",
        help="only the same load against --workers domain workers in one consumer group",
    )
    parser.add_argument("--workers", default="1,2,4", help="with --scale-out: worker counts")
    parser.add_argument(
        "--scale-rows", type=int, default=20_000, help="with --scale-out: rows imported per run"
    )
    parser.add_argument(
        "--scale-rate", type=float, default=20.0, help="with --scale-out: interactive creates/s"
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
    parser.add_argument(
        "--batch-path",
        type=Path,
        metavar="BASE",
        help="only the CPU per candidate of a batch's pure steps (no stores), the code at "
        "BASE (e.g. `git archive main`) against this tree's, in turn",
    )
    parser.add_argument(
        "--followers-ab",
        choices=["imports", "latency", "both"],
        help="only --imports-only and/or --latency-only with the followers in a worker of "
        "their own against in the command worker, alternating, --ab-rounds times",
    )
    parser.add_argument("--ab-rounds", type=int, default=2, help="rounds of --followers-ab")
    parser.add_argument(
        "--import-waits",
        action="store_true",
        help="only an import with the commands worker's step timings, GC pauses and the "
        "importer's rows in flight (with --profile NAME: py-spy --idle on the worker)",
    )
    parser.add_argument(
        "--search-audit-ab",
        type=Path,
        metavar="BASE",
        help="only the search route's audit entry, this tree against the code at BASE, "
        "--ab-rounds runs of --search-rounds queries, on the agency the last --search-at "
        "left; the stores are not emptied",
    )
    parser.add_argument(
        "--search-clients", type=int, default=8, help="with --search-audit-ab: clients at once"
    )
    args = parser.parse_args()
    if args.batch_path:
        run_batch_path(args.batch_path, args.import_rows)
        return
    if args.followers_ab:
        run_followers_ab(args)
        return
    if args.search_audit_ab:
        # Measures what --search-at loaded: emptying the stores would throw it away.
        for key, value in BENCH_ENV.items():
            os.environ.setdefault(key, value)
        RESULTS.mkdir(parents=True, exist_ok=True)
        asyncio.run(run_search_audit_ab(args))
        return
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
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.memory_only:
        asyncio.run(run_memory(args))
    elif args.scale_out:
        asyncio.run(run_scale_out(args))
    elif args.search_at and args.search_merge:
        asyncio.run(run_search_merge(args.search_at, args.search_rounds))
    elif args.search_at:
        asyncio.run(run_search_at(args.search_at, args.search_rounds))
    elif args.relevance_only:
        asyncio.run(run_relevance())
    elif args.latency_only:
        asyncio.run(run_latency(args, noop_baseline))
    elif args.import_waits:
        asyncio.run(run_import_waits(args))
    elif args.imports_only:
        asyncio.run(run_imports(args))
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
