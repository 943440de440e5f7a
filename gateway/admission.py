"""How long a write may take, counted from when its request arrived, and how many at once.

A gateway that takes more writes than it can serve must say so at once rather than let
every answer slow down: a client told 503 within seconds retries elsewhere or later, one
left waiting half a minute does not know whether its write happened. So

- each request's arrival is noted first thing (`RequestClock`), and a write has
  `COMMAND_PUBLISH_SECONDS` from then, not from when the gateway got round to it, to reach
  the broker; whatever it waited for before counts;
- at most `COMMAND_CONCURRENCY` writes are sealed and published at once per process
  (`WriteGate`); the rest wait their turn within that budget, and one whose turn does not
  come in time is refused 503 with Retry-After, before anything was sent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

from starlette.types import ASGIApp, Receive, Scope, Send

from core.errors import Unavailable

_arrived_at: ContextVar[float | None] = ContextVar("request_arrived_at", default=None)


def arrived_at() -> float:
    """When the current request arrived (`time.monotonic()`); now, outside a request."""
    arrived = _arrived_at.get()
    return time.monotonic() if arrived is None else arrived


class RequestClock:
    """Notes each request's arrival; the outermost of our middlewares, so little comes before."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _arrived_at.set(time.monotonic())
        try:
            await self.app(scope, receive, send)
        finally:
            _arrived_at.reset(token)


def busy() -> Unavailable:
    return Unavailable(
        "the gateway has more writes than it can send in time; this one was not sent: "
        "retry after Retry-After"
    )


class WriteGate:
    """At most `limit` writes in progress at once; the others queue, each until its own
    time runs out."""

    def __init__(self, limit: int) -> None:
        self._slots = asyncio.Semaphore(max(1, limit))

    @asynccontextmanager
    async def admit(self, until: float) -> AsyncIterator[None]:
        """A slot, waited for until `until` (monotonic) at most; past it, `busy()`."""
        left = until - time.monotonic()
        if left <= 0:
            raise busy()
        try:
            await asyncio.wait_for(self._slots.acquire(), timeout=left)
        except TimeoutError:
            raise busy() from None
        try:
            yield
        finally:
            self._slots.release()
