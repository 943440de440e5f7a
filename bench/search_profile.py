"""`python -m bench.search_profile`: where a search's time goes, raw against OpenSearch.

Run after `python -m bench --search-at N` has left its agency in the bench's index (the
bench's variables exported): each query of bench/search_latency.py is sent raw, as the
store sends it and in variants with one part left out or changed, interleaved round by
round so every variant sees the same machine; then one profiled run of each part
(`"profile": true`) says which clause costs. Figures are p50/p95 in ms.
"""

from __future__ import annotations

import asyncio
import copy
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

from opensearchpy import AsyncOpenSearch

from bench.search_latency import QUERIES
from bench.stats import percentile
from core.settings import get_settings
from domain.query_syntax import parse_query
from stores.connections import opensearch_options
from stores.search.candidate_queries import candidate_facets_body, candidate_search_body
from stores.search.query_dsl import FIELDS
from stores.search.store import SearchStore

Body = dict[str, Any]


def _no_highlight(b: Body) -> Body:
    b.pop("highlight", None)
    return b


def _count_page(b: Body) -> Body:
    b["track_total_hits"] = 21
    return b


def _no_source(b: Body) -> Body:
    b["_source"] = False
    return b


def _bare(b: Body) -> Body:
    return _no_source(_count_page(_no_highlight(b)))


VARIANTS: dict[str, Callable[[Body], Body]] = {
    "hits": lambda b: b,
    "hits-no-highlight": _no_highlight,
    "hits-total-21": _count_page,
    "hits-no-source": _no_source,
    "hits-bare": _bare,
}


async def _tenant(client: AsyncOpenSearch, alias: str) -> str:
    r = await client.search(
        index=alias,
        body={"size": 0, "aggs": {"t": {"terms": {"field": "tenant_id", "size": 1}}}},
    )
    return str(r["aggregations"]["t"]["buckets"][0]["key"])


async def _timed(coro: Any) -> float:
    started = time.perf_counter()
    await coro
    return (time.perf_counter() - started) * 1000


async def main(rounds: int, index_modes: list[str]) -> None:
    settings = get_settings()
    client = AsyncOpenSearch(**opensearch_options(settings), timeout=60)
    alias = SearchStore(settings).candidates_alias
    tenant = await _tenant(client, alias)
    bodies = {
        q: candidate_search_body(UUID(tenant), parse_query(q, FIELDS), size=20, search_after=None)
        for q in QUERIES
    }
    times: dict[str, list[float]] = {}
    for i in range(rounds + (2 if rounds else 0)):
        for mode in index_modes:
            await client.indices.put_settings(
                index=alias, body={"index.search.concurrent_segment_search.mode": mode}
            )
            for body in bodies.values():
                for name, change in VARIANTS.items():
                    b = change(copy.deepcopy(body))
                    ms = await _timed(client.search(index=alias, body=b))
                    if i >= 2:
                        times.setdefault(f"{mode}:{name}", []).append(ms)
                # The facets: uncached (as a new query would be) and as the store asks.
                facets = candidate_facets_body(body)
                ms = await _timed(client.search(index=alias, body=facets, request_cache=False))
                both = await _timed(
                    asyncio.gather(
                        client.search(index=alias, body=body),
                        client.search(index=alias, body=facets, request_cache=False),
                    )
                )
                if i >= 2:
                    times.setdefault(f"{mode}:facets-uncached", []).append(ms)
                    times.setdefault(f"{mode}:hits+facets-uncached", []).append(both)
    await client.indices.put_settings(
        index=alias, body={"index.search.concurrent_segment_search.mode": None}
    )
    for name, timings in times.items():
        print(f"{name:32s} p50 {percentile(timings, 50):7.1f}  p95 {percentile(timings, 95):7.1f}")
    profiles: dict[str, Any] = {}
    for q, body in bodies.items():
        for part, b in (("hits", body), ("facets", candidate_facets_body(body))):
            r = await client.search(index=alias, body={**b, "profile": True}, request_cache=False)
            profiles[f"{q} | {part}"] = r["profile"]
            print(f"\n== {q} | {part}: took {r['took']} ms, total {r['hits'].get('total')}")
            for shard in r["profile"]["shards"]:
                for search in shard["searches"]:
                    for q_profile in search["query"]:
                        _print_query(q_profile, 0)
                    for c in search["collector"]:
                        print(f"   collector {c['name']}: {c['time_in_nanos'] / 1e6:.1f} ms")
                for agg in shard.get("aggregations", []):
                    print(f"   agg {agg['description']}: {agg['time_in_nanos'] / 1e6:.1f} ms")
                fetch = shard.get("fetch")
                if fetch:
                    print(f"   fetch: {fetch['time_in_nanos'] / 1e6:.1f} ms")
    out = Path(tempfile.gettempdir()) / "search-profile.json"
    out.write_text(json.dumps(profiles))
    await client.close()


def _print_query(q: dict[str, Any], depth: int) -> None:
    if depth > 3:
        return
    bd = q.get("breakdown", {})
    score = bd.get("score", 0) / 1e6
    print(
        f"   {'  ' * depth}{q['type']} {q['time_in_nanos'] / 1e6:.1f} ms "
        f"(score {score:.1f}, next_doc {bd.get('next_doc', 0) / 1e6:.1f}, "
        f"advance {bd.get('advance', 0) / 1e6:.1f}) {q['description'][:70]}"
    )
    for child in q.get("children", []):
        _print_query(child, depth + 1)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20, sys.argv[2:] or ["none"]))
