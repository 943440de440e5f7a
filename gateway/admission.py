"""How long a write may take, counted from when its request arrived, and how many at once.

A gateway that takes more writes than it can serve must say so at once rather than let
every answer slow down: a client told 503 within seconds retries later, one left waiting
half a minute does not know whether its write happened. So

- each request's arrival is noted first thing (`WriteAdmission`), and a write has
  `COMMAND_PUBLISH_SECONDS` from then, not from when the gateway got round to it, for the
  broker to take its command (gateway/commands.py); whatever it waited for counts;
- a gateway process holds at most `COMMAND_CONCURRENCY` writes at once: one more is
  answered 503 with Retry-After at the door, before its token is checked or its body
  parsed. Refusing late, after that work, would spend on refusals the very CPU the writes
  lack (measured: at 100 writes a second on a starved machine, a queue at the bus let 5 a
  second through; the rest each cost most of a write before being refused).

The limit is what a gateway process is expected to carry by Little's law: writes held =
writes per second times seconds each is held (POST until its answer, most of it waiting for
the worker, which costs this process nothing but a future). 200 creates/s at about 0.4 s
each is 80; the default, 128, leaves headroom for a slower moment. Set lower, it refuses
a rate the system serves (32 refused more than half of 200/s); offered more than the
system serves, the writes held reach the limit within a fraction of a second and every one
past it is refused at once, while those held are answered within limit ÷ throughput
seconds (128 at 300/s: about 0.4 s).
"""

from __future__ import annotations

import time
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import Unavailable
from gateway import server_timing
from gateway.problems import RETRY_AFTER_SECONDS, problem

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A refused request's body is read before the answer (some clients take an answer sent
# while they are still sending as a broken connection), but not past this much.
DRAIN_BYTES = 1 << 20

_arrived_at: ContextVar[float | None] = ContextVar("request_arrived_at", default=None)


def arrived_at() -> float:
    """When the current request arrived (`time.monotonic()`); now, outside a request."""
    arrived = _arrived_at.get()
    return time.monotonic() if arrived is None else arrived


def busy() -> Unavailable:
    return Unavailable(
        "the gateway has more writes than it can send in time; this one was not sent: "
        "retry after Retry-After"
    )


class WriteAdmission:
    """Notes each request's arrival, and refuses a write past `limit` in progress.

    The outermost of our middlewares, so little work comes before either.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = max(1, limit)
        self.in_progress = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _arrived_at.set(time.monotonic())
        try:
            if scope["method"] not in WRITE_METHODS:
                await self.app(scope, receive, send)
            elif self.in_progress >= self.limit:
                await _drain(receive)
                refused = busy()
                answer = problem(
                    503,
                    refused.message,
                    code=refused.code,
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                )
                await answer(scope, receive, send)
            else:
                self.in_progress += 1
                timing = server_timing.begin()
                try:
                    await self.app(scope, receive, send)
                finally:
                    server_timing.end(timing)
                    self.in_progress -= 1
        finally:
            _arrived_at.reset(token)


async def _drain(receive: Receive) -> None:
    read = 0
    while read <= DRAIN_BYTES:
        message: Message = await receive()
        read += len(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
