"""`python -m bench --search-audit-ab BASE`: the search route's audit entry, this tree
against the code at BASE (e.g. `git archive main | tar -x -C /tmp/audit-base`), on the
agency the last `--search-at` left in the bench's index (not reloaded: bench/
search_tuning.py `largest_agency`).

Two gateways (BASE's, this tree's) answer the same queries; each round has two phases:

- one at a time, as `--search-at` measures: the API of each tree, the same two requests
  raw to OpenSearch (hits and facets at once, each also timed alone), and the audit
  entry's write alone, as BASE writes it (a transaction that locks the head) and as this
  tree does (stores/audit_appends.py), all interleaved query by query; the audit writes
  go to an agency of their own, so they do not move the searched agency's head;
- `--search-clients` at once, each client taking each tree's API and raw in turn; then
  the audit write alone, that many at once, each way.

Each round prints each tree's API / raw p95, so the ratio of each side is seen run by run
on a machine whose load moves.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Any

from opensearchpy import AsyncOpenSearch

from bench.creates import console
from bench.environment import RESULTS, UNLIMITED
from bench.search_latency import QUERIES
from bench.search_tuning import _login, bodies_of, gateway, largest_agency
from bench.stats import percentile
from core.clock import utcnow
from core.settings import Settings
from domain.audit import draft
from stores.audit_appends import AuditAppends
from stores.connections import opensearch_options
from stores.postgres import audit
from stores.postgres.database import Database
from stores.search.store import SearchStore

WARM_UP = 5  # rounds of the four queries before timing
SIDES = ("api base", "api branch", "raw")


def _summary(ms: list[float]) -> dict[str, float]:
    return {"p50": percentile(ms, 50), "p95": percentile(ms, 95), "n": len(ms)}


async def _timed(call: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


async def measure(
    settings: Settings, base_code: Path, root: Path, rounds: int, runs: int, clients: int
) -> list[dict[str, Any]]:
    tenant_id, slug = await largest_agency(settings)
    bodies = bodies_of(None, tenant_id)
    if bodies_of(base_code, tenant_id) != bodies:
        console.print("[yellow]the two trees send different bodies: raw is this tree's[/]")
    logs = RESULTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **UNLIMITED}
    raw = AsyncOpenSearch(**opensearch_options(settings))
    alias = SearchStore(settings).candidates_alias
    db = Database(settings)
    await db.start()
    grouped = AuditAppends(db)
    # The audit writes' own agencies, one each way: a head of its own, which neither the
    # searched agency's entries nor the other way's move.
    scratch = {"locked": uuid.uuid4(), "grouped": uuid.uuid4()}

    def entry(way: str) -> Any:
        ids = [uuid.uuid4() for _ in range(20)]
        return draft(
            scratch[way],
            "list",
            actor="bench",
            actor_kind="user",
            at=utcnow(),
            subject_type="candidate",
            subject_ids=ids,
            detail={"view": "search", "items": "candidate", "count": 20},
            address="127.0.0.1",
        )

    async def locked() -> None:
        async with db.transaction() as conn:
            await audit.append(conn, [entry("locked")])

    async def group() -> None:
        await grouped.append(entry("grouped"))

    found: list[dict[str, Any]] = []
    with ExitStack() as stack:
        base_env = {**env, "PYTHONPATH": str(base_code)}
        base_url, _ = stack.enter_context(gateway(base_env, logs / "gateway-base.log", base_code))
        url, _ = stack.enter_context(gateway(env, logs / "gateway-branch.log", root))
        apis = {
            "base": await _login(base_url, settings, slug),
            "branch": await _login(url, settings, slug),
        }

        async def api(side: str, q: str) -> None:
            r = await apis[side].get("/api/v1/search/candidates", params={"q": q, "limit": 20})
            r.raise_for_status()

        async def raw_pair(q: str, parts: dict[str, list[float]] | None = None) -> None:
            hits, facets = bodies[q]

            async def one(name: str, call: Awaitable[Any]) -> None:
                started = time.perf_counter()
                await call
                if parts is not None:
                    parts[name].append((time.perf_counter() - started) * 1000)

            await asyncio.gather(
                one("raw hits", raw.search(index=alias, body=hits)),
                one("raw facets", raw.search(index=alias, body=facets, request_cache=True)),
            )

        for run in range(1, runs + 1):
            one_at_a_time: dict[str, list[float]] = {
                k: []
                for k in (
                    "api base",
                    "api branch",
                    "raw",
                    "raw hits",
                    "raw facets",
                    "audit locked",
                    "audit grouped",
                )
            }
            for i in range(WARM_UP + rounds):
                for q in QUERIES:
                    parts: dict[str, list[float]] = {"raw hits": [], "raw facets": []}
                    timed = {
                        "api base": await _timed(partial(api, "base", q)),
                        "api branch": await _timed(partial(api, "branch", q)),
                        "raw": await _timed(partial(raw_pair, q, parts)),
                        "audit locked": await _timed(locked),
                        "audit grouped": await _timed(group),
                    }
                    if i >= WARM_UP:
                        for name, ms in timed.items():
                            one_at_a_time[name].append(ms)
                        for name, ms_list in parts.items():
                            one_at_a_time[name].extend(ms_list)
            concurrent: dict[str, list[float]] = {side: [] for side in SIDES}

            async def client(turn: int, into: dict[str, list[float]] = concurrent) -> None:
                # Each client takes the sides in turn, starting at a different one, so the
                # requests in flight at any moment are of every side alike.
                for j in range(rounds):
                    q = QUERIES[j % len(QUERIES)]
                    for k in range(len(SIDES)):
                        side = SIDES[(turn + j + k) % len(SIDES)]
                        if side == "raw":
                            ms = await _timed(partial(raw_pair, q))
                        else:
                            ms = await _timed(partial(api, side.removeprefix("api "), q))
                        into[side].append(ms)

            await asyncio.gather(*(client(c) for c in range(clients)))
            # The audit write alone, `clients` at once on one agency each way: the locking
            # transactions queue on the head; the group commit shares statements.
            writes: dict[str, list[float]] = {"audit locked": [], "audit grouped": []}

            async def writer(turn: int, into: dict[str, list[float]] = writes) -> None:
                for j in range(rounds):
                    for name, times in sorted(into.items(), reverse=(turn + j) % 2 == 1):
                        times.append(await _timed(locked if name == "audit locked" else group))

            await asyncio.gather(*(writer(c) for c in range(clients)))
            concurrent.update(writes)
            figures = {
                "run": run,
                "one at a time": {k: _summary(v) for k, v in one_at_a_time.items()},
                f"{clients} at once": {k: _summary(v) for k, v in concurrent.items()},
            }
            _print(run, figures, clients)
            found.append(figures)
        for http in apis.values():
            await http.aclose()
    await raw.close()
    await db.stop()
    return found


def _print(run: int, figures: dict[str, Any], clients: int) -> None:
    seq = figures["one at a time"]
    con = figures[f"{clients} at once"]
    console.print(f"[bold]run {run}[/], {utcnow():%H:%M:%S} UTC")
    for phase, fig in (("one at a time", seq), (f"{clients} at once", con)):
        # (the audit writes alone are printed below)
        raw95 = fig["raw"]["p95"]
        cells = [
            f"{tree}: API p95 {fig[f'api {tree}']['p95']:.1f} ms (p50 "
            f"{fig[f'api {tree}']['p50']:.1f}), API/raw {fig[f'api {tree}']['p95'] / raw95:.2f}"
            for tree in ("base", "branch")
        ]
        console.print(
            f"  {phase}: raw p95 {raw95:.1f} ms (p50 {fig['raw']['p50']:.1f}); " + "; ".join(cells)
        )
    parts = ", ".join(
        f"{name} p50 {seq[name]['p50']:.1f} / p95 {seq[name]['p95']:.1f} ms"
        for name in ("raw hits", "raw facets", "audit locked", "audit grouped")
    )
    console.print(f"  alone: {parts}")
    console.print(
        f"  audit write, {clients} at once: "
        + ", ".join(
            f"{name} p50 {con[name]['p50']:.1f} / p95 {con[name]['p95']:.1f} ms"
            for name in ("audit locked", "audit grouped")
        )
    )
