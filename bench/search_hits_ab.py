"""`python -m bench.search_hits_ab BASE [ROUNDS]`: the hits request, BASE's against ours.

Run after `python -m bench --search-at N` has left its agency in the bench's index (the
bench's variables exported; BASE is another tree's code, e.g. `git archive main | tar -x
-C /tmp/base`). Each query of bench/search_latency.py is sent as each tree builds its
hits request, and once more sorted by `_score` alone with no total counted (what
block-max WAND would need to skip documents), alternating which tree goes first; the
figures are OpenSearch's own `took` (ms), so the gateway and the network are left out.
"""

from __future__ import annotations

import asyncio
import copy
import statistics
import sys
from pathlib import Path
from typing import Any

from opensearchpy import AsyncOpenSearch

from bench.search_tuning import bodies_of, loaded_tenant
from core.settings import get_settings
from stores.connections import opensearch_options
from stores.search.store import SearchStore


def _variants(hits: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        "hits": hits,
        "hits, _score only, no total": {**hits, "sort": ["_score"], "track_total_hits": False},
    }


async def main(base: Path, rounds: int) -> None:
    settings = get_settings()
    client = AsyncOpenSearch(**opensearch_options(settings), timeout=60)
    alias = SearchStore(settings).candidates_alias
    tenant = await loaded_tenant(client, alias)
    trees = {"base": bodies_of(base, tenant), "branch": bodies_of(None, tenant)}
    took: dict[tuple[str, str], list[int]] = {}
    for i in range(rounds + 1):  # the first round warms up
        for q in trees["base"]:
            for side in ("base", "branch") if i % 2 else ("branch", "base"):
                for name, body in _variants(copy.deepcopy(trees[side][q][0])).items():
                    r = await client.search(index=alias, body=body, request_cache=False)
                    if i:
                        for about in (q, "all queries"):
                            took.setdefault((about, f"{side} {name}"), []).append(r["took"])
    await client.close()
    for (about, what), ms in sorted(took.items()):
        ms.sort()
        p95 = ms[int(0.95 * (len(ms) - 1))]
        print(f"{about[:36]:36s} {what:36s} p50 {statistics.median(ms):6.0f}  p95 {p95:6.0f}")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 8))
