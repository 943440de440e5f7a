"""Liveness, readiness (every store and the broker) and Prometheus metrics."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.deps import SettingsDep, StateDep
from gateway.error_responses import problems
from gateway.metrics_server import token_matches

log = logging.getLogger(__name__)

router = APIRouter(tags=["operations"])

CHECK_TIMEOUT_SECONDS = 2.0
STATE = {"type": "string", "enum": ["up", "down"]}
READINESS = {
    "type": "object",
    "required": ["status", "checks"],
    "properties": {
        "status": {"type": "string", "enum": ["ready", "not_ready"]},
        "checks": {
            "type": "object",
            "properties": {
                name: STATE for name in ("postgres", "mongodb", "opensearch", "redis", "kafka")
            },
        },
    },
}


@router.get("/health", summary="Liveness", description="200 while the process serves requests.")
async def health() -> dict[str, str]:
    return {"status": "ok"}


async def _check(name: str, probe: Callable[[], Awaitable[object]]) -> str:
    """`up` or `down`. Why it is down goes to the log, never to the caller: the answer is
    public, and driver messages name hosts, ports and users."""
    try:
        await asyncio.wait_for(probe(), CHECK_TIMEOUT_SECONDS)
        return "up"
    except Exception as exc:
        log.warning("readiness: %s is down: %s: %s", name, type(exc).__name__, exc)
        return "down"


@router.get(
    "/ready",
    summary="Readiness",
    description="200 when Postgres, MongoDB, OpenSearch, Redis and Kafka all answer; "
    "otherwise 503. `checks` says `up` or `down` for each (the reason is in the log).",
    responses={
        200: {"content": {"application/json": {"schema": READINESS}}},
        503: {
            "description": "Not ready: a store or the broker does not answer",
            "content": {"application/json": {"schema": READINESS}},
        },
    },
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
    results = await asyncio.gather(*(_check(n, p) for n, p in zip(names, probes, strict=True)))
    checks = dict(zip(names, results, strict=True))
    ok = all(v == "up" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ok else "not_ready", "checks": checks}, status_code=200 if ok else 503
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="Open unless METRICS_TOKEN is set, then only with "
    "`Authorization: Bearer <METRICS_TOKEN>`. With METRICS_PORT set they are served on "
    "that port instead, and this path answers 404.",
    response_class=Response,
    responses={
        200: {
            "description": "The metrics, in Prometheus' text format",
            "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
        },
        **problems(
            {
                401: "METRICS_TOKEN is set and was not sent",
                404: "METRICS_PORT is set: the metrics are served there",
            }
        ),
    },
)
async def metrics(request: Request, settings: SettingsDep) -> Response:
    if settings.metrics_port:
        raise HTTPException(404, "Not Found")
    token = settings.metrics_token
    if token and not token_matches(request.headers.get("authorization"), token):
        raise HTTPException(
            401,
            "Send `Authorization: Bearer <METRICS_TOKEN>` for the metrics.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
