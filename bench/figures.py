"""Each phase's results as rows of the one table (bench/report.py), with the issue's targets.

The targets live here, beside the figures they judge, so changing one is one line and the
table, the JSON and the note all read it from the same place.
"""

from __future__ import annotations

from typing import Any

from bench.report import Figure, Target
from bench.stats import percentile

IMPORT_RATE = Target(">=", 5000)
IMPORT_COPY_RATIO = Target(">=", 0.10, on_ratio=True)
E2E_NOOP_RATIO = Target(">=", 0.5, on_ratio=True)
GET_VISIBLE_P99_MS = Target("<=", 250)
SEARCH_VISIBLE_P99_MS = Target("<=", 500)
UNANSWERED_PCT = Target("<=", 1)
SEARCH_P95_MS = Target("<=", 50)
SEARCH_API_RAW_RATIO = Target("<=", 1.2, on_ratio=True)
ANALYTICS_SSE_P95_MS = Target("<=", 1000)
ANALYTICS_NOOP_RATIO = Target(">=", 0.5, on_ratio=True)
MATCH_NDCG = Target(">=", 0.92)
MATCH_RECALL = Target(">=", 0.95)
SEARCH_NDCG = Target(">=", 0.75)
RSS_TOTAL_MIB = Target("<=", 4096)


def import_figures(rows: int, imp: dict[str, Any], copy_rate: float) -> list[Figure]:
    """The import into every store, against a raw COPY of the same rows."""
    return [
        Figure(
            "import",
            f"import {rows:,} candidates into every store",
            imp["every_store_rate"],
            "rows/s",
            IMPORT_RATE,
        ),
        Figure(
            "import",
            "import / raw COPY of the same rows",
            imp["every_store_rate"],
            "rows/s",
            IMPORT_COPY_RATIO,
            baseline=copy_rate,
            baseline_name="COPY rows/s",
        ),
        Figure("import", "import into Postgres + MongoDB", imp["postgres_mongo_rate"], "rows/s"),
    ]


def throughput_figures(tp: dict[str, float], noop: float) -> list[Figure]:
    """REST creates (respond-async) against a Faust agent that only counts, same broker."""
    return [
        Figure("creates", "accepted by the gateway (respond-async)", tp["accept_rate"], "/s"),
        Figure(
            "creates",
            "end-to-end creates through HTTP / no-op agent",
            tp["e2e_rate"],
            "/s",
            E2E_NOOP_RATIO,
            baseline=noop,
            baseline_name="no-op msgs/s",
        ),
    ]


def latency_figures(runs: list[dict[str, Any]], rate: float) -> list[Figure]:
    """POST → visible, one row per run (the target holds in each run, not on average);
    `runs` are bench/latency.py `summary` dicts."""
    figures = []
    for i, run in enumerate(runs, start=1):
        label = f"run {i} of {len(runs)}"
        refused = f", {run['busy_503']} answered 503" if run.get("busy_503") else ""
        figures.append(
            Figure(
                "interactive",
                f"POST → GET-visible p99 @ {rate:.0f}/s",
                run["get_ms"]["p99"],
                "ms",
                GET_VISIBLE_P99_MS,
                note=f"{label}, p50 {run['get_ms']['p50']:.0f} ms{refused}",
            )
        )
        # The percentiles are of the creates answered 201: a run where more than 1% were
        # refused (503) or not applied in time (202) does not meet its target, whatever
        # the others' p99.
        unanswered = run.get("busy_503", 0) + run.get("slow_202", 0)
        offered = run["n"] + unanswered
        figures.append(
            Figure(
                "interactive",
                "creates answered 503 or 202",
                100 * unanswered / offered if offered else float("nan"),
                "%",
                UNANSWERED_PCT,
                note=label,
            )
        )
        figures.append(
            Figure(
                "interactive",
                f"POST → search-visible p99 @ {rate:.0f}/s",
                run["search_ms"]["p99"],
                "ms",
                SEARCH_VISIBLE_P99_MS,
                note=f"{label}, p50 {run['search_ms']['p50']:.0f} ms",
            )
        )
    return figures


def cpu_figures(
    cpu: dict[str, float],
    stack: dict[str, float] | None = None,
    *,
    phase: str = "creates",
    unit: str = "create",
) -> list[Figure]:
    """CPU milliseconds per create (or imported row), process by process; then the stack's
    servers, which count only on a quiet machine (they serve everything on it)."""
    ours = {k: v for k, v in cpu.items() if not k.startswith("load generator")}
    figures = [Figure(phase, f"CPU per {unit}: {name}", ms, "ms") for name, ms in cpu.items()]
    figures.append(Figure(phase, f"CPU per {unit}: our processes", sum(ours.values()), "ms"))
    if stack:
        shared = f"shared server: per {unit} on a quiet machine only"
        figures.extend(
            Figure(phase, f"CPU per {unit}: {name} (server)", ms, "ms", note=shared)
            for name, ms in stack.items()
        )
        figures.append(
            Figure(phase, f"CPU per {unit}: the servers", sum(stack.values()), "ms", note=shared)
        )
    return figures


def ceiling_rate(cores: int, cpu_ms_per_unit: float) -> float:
    """The most units a second `cores` cores can give when each unit costs this much CPU
    (every core busy, nothing else running): a bound no tuning of the rest passes."""
    return cores * 1000 / cpu_ms_per_unit if cpu_ms_per_unit > 0 else float("nan")


def ceiling_figures(
    phase: str,
    unit: str,
    cores: int,
    ours_ms: float,
    servers_ms: float,
    target: str,
    baseline: float | None = None,
    baseline_name: str | None = None,
) -> list[Figure]:
    """What this machine allows at most, from the CPU the same run measured per unit.

    "Servers alone" is the rate if our processes cost no CPU at all: the stores' own work
    for each unit (Postgres, MongoDB, OpenSearch, Kafka, Redis) on every core. When it is
    below a target, the target is out of this machine's reach whatever our code does: the
    cost left is outside it. Figures, not verdicts (no target column): the targets are on
    the rates measured."""
    wanted = f"target {target}"
    shared = "servers shared: a quiet machine only"
    return [
        Figure(
            phase,
            f"ceiling on {cores} cores: our processes + the servers, per {unit}",
            ceiling_rate(cores, ours_ms + servers_ms),
            "/s",
            baseline=baseline,
            baseline_name=baseline_name,
            note=f"{wanted}; {shared}",
        ),
        Figure(
            phase,
            f"ceiling on {cores} cores: the servers alone (our code at 0 CPU)",
            ceiling_rate(cores, servers_ms),
            "/s",
            baseline=baseline,
            baseline_name=baseline_name,
            note=f"{wanted}; {shared}",
        ),
    ]


def create_ceiling_figures(
    cpu: dict[str, float],
    stack: dict[str, float],
    noop: float,
    cores: int,
    offered_rate: float | None = None,
) -> list[Figure]:
    """The end-to-end creates this machine allows at most, against the no-op agent's rate:
    if the ratio of the servers-alone ceiling is under the target's, so is any run's.

    With `offered_rate` (the latency runs'), also the share of the machine's CPU that rate
    needs at the CPU per create measured here, at full load, where sets are largest and a
    create cheapest: at the offered rate it needs at least this much. Near 100 % a queue
    forms at every burst, and the latency's tail is the queue's."""
    if not stack:
        return []
    ours = sum(v for k, v in cpu.items() if not k.startswith("load generator"))
    servers = sum(stack.values())
    figures = ceiling_figures(
        "creates",
        "create",
        cores,
        ours,
        servers,
        f"end-to-end / no-op {E2E_NOOP_RATIO.bound:g}",
        baseline=noop,
        baseline_name="no-op msgs/s",
    )
    if offered_rate:
        figures.append(
            Figure(
                "creates",
                f"the machine's CPU {offered_rate:.0f} creates/s need (ours + the servers)",
                100 * offered_rate * (ours + servers) / (cores * 1000),
                "%",
                note=f"{cores} cores; at least this: measured at full load",
            )
        )
    return figures


def search_figures(candidates: int, lat: dict[str, float]) -> list[Figure]:
    """Boolean query + facets through the API, against the same requests sent raw."""
    return [
        Figure(
            "search",
            f"search p95 @ {candidates:,} candidates (API)",
            lat["api_p95_ms"],
            "ms",
            SEARCH_P95_MS,
            note=f"p50 {lat['api_p50_ms']:.0f} ms",
        ),
        Figure(
            "search",
            f"API / raw OpenSearch p95 @ {candidates:,}",
            lat["api_p95_ms"],
            "ms",
            SEARCH_API_RAW_RATIO,
            baseline=lat["raw_p95_ms"],
            baseline_name="raw p95 ms",
        ),
    ]


def analytics_figures(sse: list[float], rate: float, an: dict[str, float]) -> list[Figure]:
    return [
        Figure(
            "analytics",
            f"event → SSE update p95 @ {rate:.0f}/s",
            percentile(sse, 95) * 1000,
            "ms",
            ANALYTICS_SSE_P95_MS,
        ),
        Figure(
            "analytics",
            "analytics agent / no-op agent, same backlog",
            an["analytics_rate"],
            "events/s",
            ANALYTICS_NOOP_RATIO,
            baseline=an["noop_rate"],
            baseline_name="no-op events/s",
        ),
    ]


def relevance_figures(sets: dict[str, dict[str, Any]]) -> list[Figure]:
    figures = []
    for set_name, rel in sets.items():
        figures += [
            Figure(
                "relevance",
                f"{set_name} set: matching nDCG@10",
                rel["match_ndcg10"],
                "",
                MATCH_NDCG,
            ),
            Figure(
                "relevance",
                f"{set_name} set: matching recall@50",
                rel["match_recall50"],
                "",
                MATCH_RECALL,
            ),
            Figure(
                "relevance",
                f"{set_name} set: keyword search nDCG@10",
                rel["search_ndcg10"],
                "",
                SEARCH_NDCG,
                baseline=rel["bm25_ndcg10"],
                baseline_name="BM25",
                note=(
                    f"skills-only ceiling {rel['ceiling_ndcg10']:.3f}"
                    if "ceiling_ndcg10" in rel
                    else ""
                ),
            ),
        ]
    return figures


def memory_figures(label: str, memory: dict[str, float]) -> list[Figure]:
    figures = [
        Figure("memory", f"RSS {name} ({label})", mib, "MiB") for name, mib in memory.items() if mib
    ]
    figures.append(
        Figure("memory", f"RSS total ({label})", sum(memory.values()), "MiB", RSS_TOTAL_MIB)
    )
    return figures


def encryption_figures(costs: dict[str, Any]) -> list[Figure]:
    """What sealing personal data costs: sealed against PERSONAL_DATA_SEALING=off."""
    on, off = costs["end_to_end"]["on"], costs["end_to_end"]["off"]
    return [
        Figure(
            "sealing",
            "creates end to end, sealed / not sealed",
            on["e2e_rate"],
            "/s",
            baseline=off["e2e_rate"],
            baseline_name="not sealed /s",
        ),
        Figure(
            "sealing",
            "import into every store, sealed / not sealed",
            on["import_every_store_rate"],
            "rows/s",
            baseline=off["import_every_store_rate"],
            baseline_name="not sealed rows/s",
        ),
    ]


FLAT_MIB = 32.0
"""Growth of a process over an import's last three quarters still called flat."""
FLAT_JUDGED_ROWS = 200_000
"""Imports shorter than this end before the caches (50,000 keys, …) are full."""


def memory_growth_figures(figures: dict[str, Any]) -> list[Figure]:
    """Resident memory per process before and after an import, and its growth per million
    rows (bench/memory_growth.py). Flat means the growth stops once the bounded caches
    are full: read it from an import well past their sizes (KEY_CACHE_SIZE,
    ANALYTICS_CANDIDATE_CACHE_SIZE)."""
    rows = figures["rows"]
    return [
        Figure(
            "memory",
            f"RSS {name} after {rows:,} rows",
            m["after_mib"],
            "MiB",
            note=f"before {m['before_mib']:.0f} MiB, "
            f"{m['growth_mib_per_million_rows']:+.0f} MiB per million rows",
        )
        for name, m in figures["memory"].items()
    ] + [
        Figure(
            "memory",
            f"RSS growth of the {name} over the import's last three quarters",
            m["growth_after_settled_mib"],
            "MiB",
            # Flat: within what the allocator's arenas move by. Judged only on an import
            # long enough for the bounded caches to fill in its first quarter.
            target=Target("<=", FLAT_MIB) if rows >= FLAT_JUDGED_ROWS else None,
            note=f"{m['settled_mib']:.0f} MiB at a quarter of the import, peak {m['peak_mib']:.0f}",
        )
        for name, m in figures.get("settled", {}).items()
    ]


def scale_out_figures(runs: list[dict[str, Any]]) -> list[Figure]:
    """The same load against 1, 2, 4 domain workers in one group (bench/scale_out.py):
    throughput against n times one worker's, which is the efficiency."""
    base = min(runs, key=lambda r: r["workers"])
    per_worker = base["throughput"] / base["workers"]
    return [
        Figure(
            "scale-out",
            f"{r['workers']} domain worker(s): import into Postgres + MongoDB",
            r["throughput"],
            "rows/s",
            baseline=r["workers"] * per_worker,
            baseline_name=f"{r['workers']} x one worker",
            ratio=r["efficiency"],
            note=f"interactive p50 {r['p50_ms']:.0f} / p99 {r['p99_ms']:.0f} ms "
            f"@ {r['interactive_rate']:.0f}/s",
        )
        for r in runs
    ]
