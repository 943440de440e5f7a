"""`python -m bench.search_clauses [ROUNDS] [BASE]`: the hits request's cost, body by body.

On the agency the last `--search-at` left in the bench's index, the first-page hits
request of each query of bench/search_latency.py is sent as BASE's tree builds it
(default /tmp/base, e.g. `git archive main`), as this tree builds it, and as variants of
this tree's that take one part away, interleaved query by query, and OpenSearch's `took`
is kept (no HTTP, no facets: what the node spends on the query). Printed per body: the
p50 of all, then each query's min / first quartile, which a loaded machine moves least.

The variants say where the time goes: no text ordering (a skill word's words in
`all_text` left out), and the same query as a filter (matching without scoring).
"""

from __future__ import annotations

import asyncio
import copy
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from opensearchpy import AsyncOpenSearch

from bench.search_latency import QUERIES
from bench.search_tuning import bodies_of, loaded_tenant
from core.settings import get_settings
from stores.connections import opensearch_options
from stores.search.query_dsl import TEXT_BOOST
from stores.search.store import SearchStore

Body = dict[str, Any]
WARM_UP = 2


def _hits_only(body: Body) -> Body:
    """The query phase alone: no highlights, no `_source` to fetch."""
    found = copy.deepcopy(body)
    found.pop("highlight", None)
    found["_source"] = False
    return found


def _without_text(query: Any) -> Any:
    """A skill word's matches left unordered by its words (query_dsl._skill's `should`)."""
    if isinstance(query, list):
        return [_without_text(q) for q in query]
    if not isinstance(query, dict):
        return query
    found = query.get("bool")
    if (
        isinstance(found, dict)
        and set(found) == {"must", "should"}
        and len(found["should"]) == 1
        and found["should"][0].get("bool", {}).get("boost") == TEXT_BOOST
    ):
        return _without_text(found["must"][0])
    return {k: _without_text(v) for k, v in query.items()}


def no_text(body: Body) -> Body:
    found = _hits_only(body)
    found["query"] = _without_text(found["query"])
    return found


def as_filter(body: Body) -> Body:
    found = _hits_only(body)
    found["query"] = {"bool": {"filter": [found["query"]]}}
    return found


VARIANTS: dict[str, Callable[[Body], Body]] = {
    "this tree, no text ordering": no_text,
    "this tree, as a filter": as_filter,
}


async def measure(rounds: int, base: Path) -> dict[str, dict[str, list[int]]]:
    settings = get_settings()
    client = AsyncOpenSearch(**opensearch_options(settings), timeout=60)
    alias = SearchStore(settings).candidates_alias
    tenant = await loaded_tenant(client, alias)
    trees = {"base": bodies_of(base, tenant), "this tree": bodies_of(None, tenant)}
    bodies: dict[str, dict[str, Body]] = {
        name: {q: _hits_only(trees[name][q][0]) for q in QUERIES} for name in trees
    }
    for name, variant in VARIANTS.items():
        bodies[name] = {q: variant(trees["this tree"][q][0]) for q in QUERIES}
    took: dict[str, dict[str, list[int]]] = {name: {q: [] for q in QUERIES} for name in bodies}
    try:
        for i in range(WARM_UP + rounds):
            for q in QUERIES:
                for name, by_query in bodies.items():
                    answer = await client.search(index=alias, body=by_query[q], request_cache=False)
                    if i >= WARM_UP:
                        took[name][q].append(int(answer["took"]))
    finally:
        await client.close()
    return took


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 12
    base = Path(sys.argv[2] if len(sys.argv) > 2 else "/tmp/base")
    took = asyncio.run(measure(rounds, base))
    print("body | p50 all | " + " | ".join(QUERIES) + "  (min / first quartile, ms)")
    for name, by_query in took.items():
        every = [t for ms in by_query.values() for t in ms]
        cells = [f"{min(ms)} / {sorted(ms)[len(ms) // 4]}" for ms in by_query.values()]
        print(f"{name} | {statistics.median(every):.1f} | " + " | ".join(cells))


if __name__ == "__main__":
    main()
