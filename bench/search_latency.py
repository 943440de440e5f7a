"""Search latency at scale: our API against the same request sent raw to OpenSearch.

Run on the agency the import just filled. Each query is a recruiter's boolean query
with facets, sent one at a time (after a warm-up) through `GET /search/candidates`,
and the identical OpenSearch requests (the page's hits and its facets, side by side as
the store sends them) straight to OpenSearch, interleaved so both see
the same machine. The API's extra is parsing, auth, the HTTP hop and the response.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
from opensearchpy import AsyncOpenSearch

from app.jobs.accounts import create_user
from bench.stats import percentile
from core.settings import Settings
from domain.query_syntax import parse_query
from stores.connections import opensearch_options
from stores.search.candidate_queries import candidate_facets_body, candidate_search_body
from stores.search.query_dsl import FIELDS
from stores.search.store import SearchStore

QUERIES = [
    "python AND (kafka OR k8s) NOT php",
    "senior engineer -sre skill:terraform",
    'skill:go OR skill:rust title:"developer"',
    "data engineer AND (aws OR postgres)",
]
WARM_UP = 20


async def search_latency(
    settings: Settings, base_url: str, tenant: str, rounds: int = 100
) -> dict[str, float]:
    password = "bench-search-pw"
    username = f"search-{uuid.uuid4().hex[:8]}"
    tenant_id, _ = await create_user(
        settings, tenant=tenant, username=username, password=password, role="recruiter"
    )
    raw = AsyncOpenSearch(**opensearch_options(settings))
    alias = SearchStore(settings).candidates_alias
    api_ms: list[float] = []
    raw_ms: list[float] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        login = await http.post(
            "/api/v1/auth/token", json={"username": username, "password": password}
        )
        login.raise_for_status()
        http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        for i in range(WARM_UP + rounds):
            q = QUERIES[i % len(QUERIES)]
            body: dict[str, Any] = candidate_search_body(
                tenant_id, parse_query(q, FIELDS), size=20, search_after=None
            )
            started = time.perf_counter()
            r = await http.get("/api/v1/search/candidates", params={"q": q, "limit": 20})
            api = time.perf_counter() - started
            r.raise_for_status()
            started = time.perf_counter()
            # What the store sends for a first page: the hits and the facets at once.
            await asyncio.gather(
                raw.search(index=alias, body=body),
                raw.search(index=alias, body=candidate_facets_body(body), request_cache=True),
            )
            direct = time.perf_counter() - started
            if i >= WARM_UP:
                api_ms.append(api * 1000)
                raw_ms.append(direct * 1000)
    await raw.close()
    figures = {
        f"{side}_p{p}_ms": percentile(timings, p)
        for side, timings in (("api", api_ms), ("raw", raw_ms))
        for p in (50, 95, 99)
    }
    figures["api_raw_p95_ratio"] = figures["api_p95_ms"] / figures["raw_p95_ms"]
    return figures
