"""The FastAPI ingress: authenticates, checks shape, publishes commands, serves reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from core.logging import mask_every_handler
from core.settings import Settings
from gateway.asyncapi import asyncapi_document
from gateway.limits import BodySizeLimit
from gateway.metrics import RequestMetrics
from gateway.metrics_server import MetricsServer
from gateway.problems import install_problem_handlers
from gateway.ratelimit import RateLimitHeaders
from gateway.routes import (
    analytics,
    audit,
    auth,
    candidates,
    clients,
    commands,
    dashboard,
    documents,
    exports,
    health,
    interviews,
    matching,
    notes,
    placements,
    requisitions,
    retention,
    saved_searches,
    search,
    submissions,
)
from gateway.security_headers import HeaderedAPI
from gateway.state import GatewayState

API_PREFIX = "/api/v1"

DESCRIPTION = """
RefactorTrack is the backend of an Applicant Tracking System for technology recruiting and
staffing agencies.

* **Writes are commands.** A write is published to the domain's Kafka command topic and
  answered once an agent has applied it (201/200), or at once with 202 and a status URL
  when you send `Prefer: respond-async`. `Idempotency-Key` makes a retry safe for 24 h.
* **Errors** are `application/problem+json` with `type`, `title`, `status`, `detail` and,
  for invalid fields, `errors` (field → message).
* **Auth.** `POST /api/v1/auth/token` gives a bearer token; every route is scoped to your
  agency (tenant): another agency's data answers 404.
* **Limits.** Requests spend a budget per minute, yours and your agency's (a search or
  match costs 5, an upload 10, anything else 1); `RateLimit-Limit`, `RateLimit-Remaining`
  and `RateLimit-Reset` say where you stand, and past it the answer is 429 with
  `Retry-After`. Queries, list filters and cursors are bounded: past a bound, 400.
"""

TAGS = [
    {"name": "auth", "description": "Log in and refresh tokens."},
    {"name": "candidates", "description": "People an agency recruits."},
    {"name": "clients", "description": "Client companies and their contacts (CRM)."},
    {"name": "requisitions", "description": "Job orders of your clients."},
    {"name": "pipeline", "description": "Submissions, stage moves and placements."},
    {"name": "notes", "description": "Notes on any record, and a candidate's timeline."},
    {"name": "search", "description": "Full-text search within your agency."},
    {
        "name": "analytics",
        "description": "Live pipeline analytics: funnel, KPIs, activity windows, leaderboard, "
        "sources, service-level alerts, and a Server-Sent Events stream of changes.",
    },
    {
        "name": "retention",
        "description": "How long the agency keeps candidates with no activity and no valid "
        "consent (admins).",
    },
    {"name": "commands", "description": "What became of an asynchronous write."},
    {
        "name": "audit",
        "description": "Who read, changed, exported or erased what: the agency's "
        "tamper-evident audit log (admins).",
    },
    {"name": "operations", "description": "Health, readiness and metrics (no auth)."},
]


def build_api(settings: Settings, state: GatewayState) -> FastAPI:
    """The REST API over `state`'s clients, which its lifespan starts and stops."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # uvicorn has set its log handlers up by now: mask personal data on them too.
        mask_every_handler()
        await state.start()
        metrics_server = None
        if settings.metrics_port:
            metrics_server = MetricsServer(
                settings.metrics_host, settings.metrics_port, settings.metrics_token
            )
            metrics_server.start()
        try:
            yield
        finally:
            if metrics_server is not None:
                metrics_server.stop()
            await state.stop()

    app = HeaderedAPI(
        hsts_max_age=settings.hsts_max_age_seconds,
        force_hsts=settings.force_hsts,
        title="RefactorTrack API",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.gateway = state
    install_problem_handlers(app)

    app.add_middleware(RequestMetrics)
    app.add_middleware(RateLimitHeaders)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Idempotency-Key",
                "If-Match",
                "Prefer",
                "X-API-Key",
            ],
            expose_headers=[
                "ETag",
                "Location",
                "Retry-After",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
                "RateLimit-Policy",
            ],
        )
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_request_bytes,
        upload_bytes=settings.max_upload_bytes,
    )

    api = APIRouter(prefix=API_PREFIX)
    for module in (
        auth,
        candidates,
        documents,
        exports,
        clients,
        requisitions,
        submissions,
        placements,
        interviews,
        notes,
        search,
        saved_searches,
        matching,
        analytics,
        retention,
        commands,
        audit,
    ):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(health.router)
    dashboard.install(app)

    catalogue = asyncapi_document(settings)

    @app.get(
        "/api/asyncapi.json",
        tags=["operations"],
        summary="Event catalogue (AsyncAPI)",
        description="Every topic, command and event with its payload schema.",
    )
    async def asyncapi() -> dict[str, Any]:
        return catalogue

    return app
