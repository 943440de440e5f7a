"""`python -m bench --search-compare BASE`: this branch's search against another tree's,
over the agency the last `--search-at` run left in the bench's index.

Figures on a shared two-core machine move with whatever else runs, so a change is judged
against its baseline measured in the same minutes: two gateways (this tree's, and the
code at BASE, e.g. `git archive main | tar -x -C /tmp/base`, put first on PYTHONPATH)
answer the same queries, and the same requests each tree's store would send go raw to
OpenSearch, all four interleaved query by query. The agency is not reloaded, so what is
measured is the index as the load (or an operator's step after it) left it.
`--profile NAME` samples this tree's gateway with py-spy meanwhile
(bench/results/profile-search-NAME.svg).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
from opensearchpy import AsyncOpenSearch
from sqlalchemy import text

from app.jobs.accounts import create_user
from bench.environment import RESULTS
from bench.profiling import profiled
from bench.search_latency import QUERIES
from bench.stats import percentile
from core.settings import Settings
from stores.connections import opensearch_options
from stores.postgres.database import Database
from stores.search.store import SearchStore
from tests.harness.processes import free_port, spawn, stop, wait_for

WARM_UP = 3  # rounds of the four queries before timing
SIDES = ("api-base", "api-branch", "raw-base", "raw-branch")

# Prints each query's two OpenSearch bodies (hits, facets) as the tree on PYTHONPATH
# builds them.
_BODIES = """
import json, sys, uuid
from domain.query_syntax import parse_query
from stores.search.candidate_queries import candidate_facets_body, candidate_search_body
from stores.search.query_dsl import FIELDS
tenant, queries = uuid.UUID(sys.argv[1]), json.loads(sys.argv[2])
out = {}
for q in queries:
    hits = candidate_search_body(tenant, parse_query(q, FIELDS), size=20, search_after=None)
    out[q] = [hits, candidate_facets_body(hits)]
print(json.dumps(out))
"""


async def loaded_tenant(client: Any, alias: str) -> str:
    """The agency `--search-at` loaded: the one tenant in the candidates index."""
    found = await client.search(
        index=alias, body={"size": 0, "aggs": {"t": {"terms": {"field": "tenant_id", "size": 1}}}}
    )
    return str(found["aggregations"]["t"]["buckets"][0]["key"])


def bodies_of(code: Path | None, tenant_id: str) -> dict[str, list[dict[str, Any]]]:
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = str(code)
    out = subprocess.run(
        [sys.executable, "-c", _BODIES, tenant_id, json.dumps(QUERIES)],
        env=env,
        # `python -c` puts its working directory first on sys.path, before PYTHONPATH:
        # run in this tree's, and the bodies were this tree's whatever `code` said.
        cwd=code,
        check=True,
        capture_output=True,
        text=True,
    )
    found: dict[str, list[dict[str, Any]]] = json.loads(out.stdout)
    return found


@contextmanager
def gateway(env: dict[str, str], log: Path, cwd: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    proc = spawn(["gateway", "--port", str(port)], env, log, cwd)
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{url}/ready", timeout=3).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(ready, f"the gateway ({log.name})", log, 90)
        yield url, proc.pid
    finally:
        stop(proc)


async def largest_agency(settings: Settings) -> tuple[str, str]:
    """The id and slug of the agency with the most candidates in the bench's index."""
    client = AsyncOpenSearch(**opensearch_options(settings))
    alias = SearchStore(settings).candidates_alias
    found = await client.search(
        index=alias, body={"size": 0, "aggs": {"t": {"terms": {"field": "tenant_id", "size": 1}}}}
    )
    await client.close()
    tenant_id = str(found["aggregations"]["t"]["buckets"][0]["key"])
    db = Database(settings)
    await db.start()
    async with db.read() as conn:
        slug: str = (
            await conn.execute(text("SELECT slug FROM tenants WHERE id = :id"), {"id": tenant_id})
        ).scalar_one()
    await db.stop()
    return tenant_id, str(slug)


async def _login(url: str, settings: Settings, slug: str) -> httpx.AsyncClient:
    username, password = f"cmp-{uuid.uuid4().hex[:8]}", "bench-compare-pw"
    await create_user(settings, tenant=slug, username=username, password=password, role="recruiter")
    http = httpx.AsyncClient(base_url=url, timeout=30)
    login = await http.post("/api/v1/auth/token", json={"username": username, "password": password})
    login.raise_for_status()
    http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
    return http


async def compare(
    settings: Settings, base_code: Path, root: Path, rounds: int, profile: str | None
) -> dict[str, Any]:
    tenant_id, slug = await largest_agency(settings)
    bodies = {"raw-base": bodies_of(base_code, tenant_id), "raw-branch": bodies_of(None, tenant_id)}
    logs = RESULTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "RATE_LIMIT_PER_MINUTE": "0", "AGENCY_RATE_LIMIT_PER_MINUTE": "0"}
    base_env = {**env, "PYTHONPATH": str(base_code)}
    raw = AsyncOpenSearch(**opensearch_options(settings))
    alias = SearchStore(settings).candidates_alias
    times: dict[str, list[float]] = {side: [] for side in SIDES}
    with ExitStack() as stack:
        base_url, _ = stack.enter_context(gateway(base_env, logs / "gateway-base.log", base_code))
        url, pid = stack.enter_context(gateway(env, logs / "gateway-branch.log", root))
        apis = {
            "api-base": await _login(base_url, settings, slug),
            "api-branch": await _login(url, settings, slug),
        }
        if profile:
            out = RESULTS / f"profile-search-{profile}.svg"
            stack.enter_context(profiled(pid, out))
        for i in range(WARM_UP + rounds):
            for q in QUERIES:
                for side in SIDES:
                    started = time.perf_counter()
                    if side in apis:
                        r = await apis[side].get(
                            "/api/v1/search/candidates", params={"q": q, "limit": 20}
                        )
                        r.raise_for_status()
                    else:
                        hits, facets = bodies[side][q]
                        await asyncio.gather(
                            raw.search(index=alias, body=hits),
                            raw.search(index=alias, body=facets, request_cache=True),
                        )
                    if i >= WARM_UP:
                        times[side].append((time.perf_counter() - started) * 1000)
        for http in apis.values():
            await http.aclose()
    await raw.close()
    figures: dict[str, Any] = {
        f"{side}_p{p}_ms": percentile(ms, p) for side, ms in times.items() for p in (50, 95)
    }
    for tree in ("base", "branch"):
        figures[f"{tree}_api_raw_p95_ratio"] = (
            figures[f"api-{tree}_p95_ms"] / figures[f"raw-{tree}_p95_ms"]
        )
    return figures


async def merged_after_load(settings: Settings) -> tuple[int, int, float]:
    """The operator's step after a big import (`refactortrack optimise-search`) on the
    bench's index: segments before and after, and the seconds it took."""
    store = SearchStore(settings)
    await store.start()
    try:
        before = await store.candidate_segments()
        started = time.perf_counter()
        after = await store.merge_candidate_segments()
        return before, after, time.perf_counter() - started
    finally:
        await store.stop()
