"""Liveness, readiness (every store and the broker) and Prometheus metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.deps import StateDep

router = APIRouter(tags=["operations"])

CHECK_TIMEOUT_SECONDS = 2.0


@router.get("/health", summary="Liveness", description="200 while the process serves requests.")
async def health() -> dict[str, str]:
    return {"status": "ok"}


async def _check(probe: Callable[[], Awaitable[object]]) -> str:
    try:
        await asyncio.wait_for(probe(), CHECK_TIMEOUT_SECONDS)
        return "ok"
    except Exception as exc:
        return f"down: {type(exc).__name__}: {exc}"[:300]


@router.get(
    "/ready",
    summary="Readiness",
    description="200 when Postgres, MongoDB, OpenSearch, Redis and Kafka all answer; "
    "otherwise 503 naming the ones that do not.",
)
async def ready(state: StateDep) -> JSONResponse:
    names = ("postgres", "mongodb", "opensearch", "redis", "kafka")
    probes = (
        state.stores.db.ping,
        state.stores.mongo.ping,
        state.stores.search.ping,
        state.stores.redis.ping,
        state.publisher.ping,
    )
    results = await asyncio.gather(*(_check(p) for p in probes))
    checks = dict(zip(names, results, strict=True))
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ok else "not_ready", "checks": checks}, status_code=200 if ok else 503
    )


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
