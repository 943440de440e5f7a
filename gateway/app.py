"""The FastAPI ingress: authenticates, checks shape, publishes commands, serves reads."""

from __future__ import annotations

from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from fastapi.telemetry import TelemetryConfig

from core.gc_tuning import freeze_loaded_objects, log_slow_collections, space_full_collections
from core.logging import format_every_handler, mask_every_handler
from core.settings import Settings
from gateway.admission import WriteAdmission
from gateway.asyncapi import asyncapi_document
from gateway.limits import BodySizeLimit
from gateway.metrics import RequestMetrics
from gateway.metrics_server import MetricsServer
from gateway.openapi import install_openapi
from gateway.problems import install_problem_handlers
from gateway.ratelimit import RateLimitHeaders
from gateway.request_context import RequestContext
from gateway.routes import (
    analytics,
    audit,
    auth,
    candidates,
    changes,
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
    reference,
    requisitions,
    retention,
    saved_searches,
    search,
    submissions,
    webhooks,
)
from gateway.security_headers import HeaderedAPI
from gateway.state import GatewayState

API_PREFIX = "/api/v1"

# Probes and scrapes every few seconds: traces of them would bury the requests.
UNTRACED_PATHS = frozenset({"/health", "/ready", "/metrics"})


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    return scope.get("path") in UNTRACED_PATHS


# FastAPI's own OpenTelemetry spans (the request, its dependencies, the endpoint), made
# while a tracer provider is installed (core/tracing.py, only when tracing is configured)
# and continuing the caller's `traceparent`. Spans only: metrics are Prometheus's, and
# its log records would export exception texts unmasked; nor does it set exporters up of
# its own: core/tracing.py is the one place that does.
TELEMETRY: TelemetryConfig = {
    "metrics": False,
    "logs": False,
    "auto_configure": False,
    "exclude": _untraced,
}

DESCRIPTION = """
RefactorTrack is the backend of an Applicant Tracking System for technology recruiting and
staffing agencies.

* **Writes are commands.** A write is published to the domain's Kafka command topic and
  answered once an agent has applied it (201/200), or at once with 202 and a status URL
  when you send `Prefer: respond-async`. `Idempotency-Key` makes a retry safe for 24 h.
* **Errors** are `application/problem+json` (RFC 9457) with `type`, `title`, `status`,
  `detail` and, for invalid fields, `errors` (field → message); every route lists the
  errors it can answer. Bad input is a 4xx, never a 500.
* **Money** is a decimal string (`"90.00"`) beside an ISO 4217 code; a whole JSON number is
  read too. Fractions (`fee_percent`) are decimals between 0 and 1.
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
        "name": "changes",
        "description": "The agency's ordered feed of what changed, to catch up after being "
        "away (docs/integrations.md).",
    },
    {
        "name": "audit",
        "description": "Who read, changed, exported or erased what: the agency's "
        "tamper-evident audit log (admins).",
    },
    {"name": "operations", "description": "Health, readiness and metrics (no auth)."},
]


def operation_id(route: APIRoute) -> str:
    """The route's function name (`create_candidate`): unique, and what links name."""
    return route.name


def build_api(settings: Settings, state: GatewayState) -> FastAPI:
    """The REST API over `state`'s clients, which its lifespan starts and stops."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # uvicorn has set its log handlers up by now: mask personal data on them too.
        mask_every_handler()
        format_every_handler(settings.log_format)
        await state.start()
        log_slow_collections()
        # The freeze leaves Python's rule for full collections nearly without effect (frozen
        # objects do not count), so a gateway under load ran one every two seconds or so,
        # 50-100 ms each, collecting nothing: spaced out as in the workers.
        space_full_collections(settings.gc_full_after)
        if settings.gc_freeze:
            freeze_loaded_objects()
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
        # Our own pages (gateway/routes/reference.py): Swagger UI served from here.
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        generate_unique_id_function=operation_id,
        lifespan=lifespan,
        telemetry=TELEMETRY,
    )
    app.state.gateway = state
    install_problem_handlers(app)

    app.add_middleware(RequestMetrics)
    # Outermost of the two, so the metrics' and every handler's lines carry the id.
    app.add_middleware(RequestContext)
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
    # Added last, so it runs first: a write's time counts from here, and a gateway with more
    # writes than it can serve refuses the next before any work (gateway/admission.py).
    app.add_middleware(
        WriteAdmission,
        limit=settings.command_concurrency,
        send_limit=settings.command_send_concurrency,
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
        webhooks,
        changes,
    ):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(health.router)
    dashboard.install(app)
    reference.install(app)

    catalogue = asyncapi_document(settings)

    @app.get(
        "/api/asyncapi.json",
        tags=["operations"],
        summary="Event catalogue (AsyncAPI)",
        description="Every topic, command and event with its payload schema; readable at "
        "`/api/asyncapi`.",
        responses={200: {"description": "An AsyncAPI 3.0 document"}},
    )
    async def asyncapi() -> dict[str, Any]:
        return catalogue

    install_openapi(app)
    return app
