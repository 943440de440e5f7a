"""Request counts and latency for `/metrics`, as plain ASGI middleware (no per-request task)."""

from __future__ import annotations

import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Counter("rt_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("rt_http_request_seconds", "HTTP request latency", ["method", "route"])
# How each write's wait for its outcome ended. The status label of REQUESTS cannot tell a
# 202 the client asked for (`Prefer: respond-async`) from one given because the workers
# did not answer within COMMAND_WAIT_SECONDS; this can: `timed_out` rising is the alert.
COMMAND_WAITS = Counter(
    "rt_command_waits_total",
    "Writes by how the gateway's wait for the outcome ended: settled (applied or rejected "
    "in time), timed_out (answered 202 past COMMAND_WAIT_SECONDS), async (not asked to wait)",
    ["type", "result"],
)


class RequestMetrics:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            # The route template, not the raw path, so ids do not explode the label set.
            route = getattr(scope.get("route"), "path", "unmatched")
            LATENCY.labels(scope["method"], route).observe(time.perf_counter() - started)
            REQUESTS.labels(scope["method"], route, str(status)).inc()
