"""`python -m bench.search_layouts [ROUNDS] [MODES]`: the hits request under the index's
concurrent segment search modes, alternately.

On the agency the last `--search-at` left in the bench's index, each query of
bench/search_latency.py is sent as this tree builds its first page (hits, highlights and
`_source`, as the API sends it), under each of MODES in turn (comma-separated values of
`index.search.concurrent_segment_search.mode`, default `none,all`), round after round, so
the machine's drift falls on every mode alike. Timed at the client (the node's whole
answer, not `took`); printed per mode: p50 and p95 over all queries, and each query's
median. The index's shards and segments are whatever the load (or `--search-merge`, or
`SEARCH_SHARDS` at `--search-at`) left: run it again after changing them.

The mode is left at `none` (OpenSearch 2.x's default) when the run ends.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
import uuid
from typing import Any

from opensearchpy import AsyncOpenSearch

from bench.search_latency import QUERIES
from bench.search_tuning import loaded_tenant
from bench.stats import percentile
from core.settings import get_settings
from domain.query_syntax import parse_query
from stores.connections import opensearch_options
from stores.search.candidate_queries import candidate_search_body
from stores.search.query_dsl import FIELDS
from stores.search.store import SearchStore

WARM_UP = 2
MODE = "index.search.concurrent_segment_search.mode"


async def measure(rounds: int, modes: list[str]) -> dict[str, dict[str, list[float]]]:
    settings = get_settings()
    client = AsyncOpenSearch(**opensearch_options(settings), timeout=60)
    alias = SearchStore(settings).candidates_alias
    tenant = uuid.UUID(await loaded_tenant(client, alias))
    bodies: dict[str, dict[str, Any]] = {
        q: candidate_search_body(tenant, parse_query(q, FIELDS), size=20, search_after=None)
        for q in QUERIES
    }
    timed: dict[str, dict[str, list[float]]] = {m: {q: [] for q in QUERIES} for m in modes}
    try:
        for i in range(WARM_UP + rounds):
            for mode in modes:
                await client.indices.put_settings(index=alias, body={MODE: mode})
                for q in QUERIES:
                    started = time.perf_counter()
                    await client.search(index=alias, body=bodies[q], request_cache=False)
                    if i >= WARM_UP:
                        timed[mode][q].append((time.perf_counter() - started) * 1000)
    finally:
        await client.indices.put_settings(index=alias, body={MODE: "none"})
        await client.close()
    return timed


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    modes = (sys.argv[2] if len(sys.argv) > 2 else "none,all").split(",")
    timed = asyncio.run(measure(rounds, modes))
    print("mode | p50 all | p95 all | " + " | ".join(QUERIES) + "  (median, ms)")
    for mode, by_query in timed.items():
        every = [ms for times in by_query.values() for ms in times]
        medians = [f"{statistics.median(times):.0f}" for times in by_query.values()]
        print(
            f"{mode} | {percentile(every, 50):.1f} | {percentile(every, 95):.1f} | "
            + " | ".join(medians)
        )


if __name__ == "__main__":
    main()
