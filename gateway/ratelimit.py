"""Rate limits: a request budget per caller and per agency, and the login brake.

Every authenticated request is charged to two buckets, the caller's (a user or an API
key) and its agency's, in units per minute: a plain read or a write costs `READ`, a
search or a match (which score many candidates) `SEARCH`, a resume upload (parsed in
the worker) `UPLOAD`. The counting is `stores.rate_limits` (the `limits` library,
sliding windows in Redis). Each answer says where the caller stands in the bucket
nearer its limit (`RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`, and
`RateLimit-Policy` for both); past a limit the answer is 429 problem+json with
`Retry-After`.

If Redis cannot be reached the request is refused with 503 and `Retry-After` (as any
store outage), unless RATE_LIMIT_FAIL_OPEN serves it uncounted, logged, without the
headers.

`hit` is the fixed-window brake on login attempts per username (gateway/routes/auth.py).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from fastapi import HTTPException, Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import StoreUnavailable
from core.settings import Settings
from stores.rate_limits import Allowance, RateLimits

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60

READ = 1
SEARCH = 5
UPLOAD = 10
# The routes dearer than a plain read, by their endpoint (`module.function`; a unit test
# checks each is a route of the API).
COSTS: dict[str, int] = {
    "gateway.routes.search.search_candidates": SEARCH,
    "gateway.routes.search.search_requisitions": SEARCH,
    "gateway.routes.matching.match_candidates": SEARCH,
    "gateway.routes.matching.match_requisitions": SEARCH,
    "gateway.routes.candidates.candidate_duplicates": SEARCH,
    # Reads every store about one person (and, inline, their files).
    "gateway.routes.exports.export_candidate": SEARCH,
    "gateway.routes.documents.upload_document": UPLOAD,
}
STATE_KEY = "rate_limit"


def endpoint_name(request: Request) -> str:
    endpoint = getattr(request.scope.get("route"), "endpoint", None)
    if endpoint is None:
        return ""
    return f"{endpoint.__module__}.{endpoint.__qualname__}"


def cost_of(endpoint: str) -> int:
    return COSTS.get(endpoint, READ)


@dataclass(frozen=True, slots=True)
class Standing:
    """Where the caller stands: the nearer bucket, and the policy of both."""

    nearest: Allowance
    policy: str

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.nearest.limit),
            "RateLimit-Remaining": str(self.nearest.remaining),
            "RateLimit-Reset": str(math.ceil(self.nearest.reset_seconds)),
            "RateLimit-Policy": self.policy,
        }


class TooManyRequests(HTTPException):
    def __init__(self, whose: str, allowance: Allowance, cost: int, policy: str) -> None:
        retry = max(1, math.ceil(allowance.reset_seconds))
        standing = Standing(allowance, policy)
        prices = f"a read or write costs {READ}, a search or match {SEARCH}, an upload {UPLOAD}"
        if cost > allowance.limit:
            detail = (
                f"This request costs {cost} units, more than the whole limit for {whose} "
                f"({allowance.limit} a minute; {prices}): it cannot pass under this limit."
            )
        else:
            detail = (
                f"Too many requests for {whose}: the limit is {allowance.limit} units a "
                f"minute and this request costs {cost} ({prices}); retry in {retry} s."
            )
        super().__init__(429, detail, headers={**standing.headers(), "Retry-After": str(retry)})


async def charge(
    request: Request, settings: Settings, limits: RateLimits, caller: str, agency: str
) -> None:
    """Count the request in the caller's and the agency's bucket, or refuse it (429)."""
    cost = cost_of(endpoint_name(request))
    buckets = [
        (f"caller:{caller}", settings.rate_limit_per_minute, "you (this user or API key)"),
        (f"agency:{agency}", settings.agency_rate_limit_per_minute, "your agency"),
    ]
    active = [(b, n, whose) for b, n, whose in buckets if n > 0]
    if not active:
        return
    policy = ", ".join(f"{n};w={WINDOW_SECONDS}" for _, n, _ in active)
    taken: list[Allowance] = []
    try:
        for bucket, per_minute, whose in active:
            allowance = await limits.take(bucket, per_minute, cost)
            if not allowance.allowed:
                raise TooManyRequests(whose, allowance, cost, policy)
            taken.append(allowance)
    except StoreUnavailable as exc:
        if not settings.rate_limit_fail_open:
            raise
        log.warning("rate limits not counted (RATE_LIMIT_FAIL_OPEN): %s", exc)
        return
    nearest = min(taken, key=lambda a: a.remaining / a.limit)
    request.state.rate_limit = Standing(nearest, policy)


class RateLimitHeaders:
    """Puts the caller's standing (set by `charge`) on the answer, whatever made it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # The request's state dict, shared with every Request made from this scope.
        state = scope.setdefault("state", {})

        async def send_with_headers(message: Message) -> None:
            standing = state.get(STATE_KEY)
            if message["type"] == "http.response.start" and isinstance(standing, Standing):
                headers = MutableHeaders(scope=message)
                for name, value in standing.headers().items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
