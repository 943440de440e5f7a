"""How long a write may take, counted from when its request arrived, and how many at once.

A gateway that takes more writes than it can serve must say so at once rather than let
every answer slow down: a client told 503 within seconds retries later, one left waiting
half a minute does not know whether its write happened. So

- each request's arrival is noted first thing (`WriteAdmission`), and a write has
  `COMMAND_PUBLISH_SECONDS` from then, not from when the gateway got round to it, for the
  broker to take its command (gateway/commands.py); whatever it waited for counts;
- a gateway process refuses a write at the door (503 with Retry-After, before its token is
  checked or its body parsed) when it already holds `COMMAND_SEND_CONCURRENCY` writes
  that the broker has not yet taken, or `COMMAND_CONCURRENCY` writes in all. Refusing
  late, after that work, would spend on refusals the very CPU the writes lack (measured:
  at 100 writes a second on a starved machine, a queue at the bus let 5 a second
  through; the rest each cost most of a write before being refused).

Two bounds, because a write is held for two different things. Until the broker has its
command, it costs this process CPU (auth, validation, the person's key, sealing, the
produce): a process with more of those than it can finish in time is overloaded, and the
writes being sent are the count that rises first when it is (on a starved machine they
pile up here within a fraction of a second). After that, the write waits for the worker,
which costs this process nothing but a future: those are bounded only loosely, by
Little's law (writes a second times seconds each is held, POST until its answer):
200 creates/s at about 0.4 s each is 80, and the default 128 leaves headroom for a slower
moment. A single bound cannot do both: 32 in all refused more than half of 200/s on a quiet
machine, 128 in all let a starved one take in writes it then answered 503 seconds later,
after doing most of their work.
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
# The current write's hold on its gateway's count of writes being sent (None: not a write,
# or its command is sent).
_sending: ContextVar[_Sending | None] = ContextVar("write_sending", default=None)


def arrived_at() -> float:
    """When the current request arrived (`time.monotonic()`); now, outside a request."""
    arrived = _arrived_at.get()
    return time.monotonic() if arrived is None else arrived


def busy() -> Unavailable:
    return Unavailable(
        "the gateway has more writes than it can send in time; this one was not sent: "
        "retry after Retry-After"
    )


class _Sending:
    """One admitted write's place among those being sent, given back once."""

    __slots__ = ("_admission",)

    def __init__(self, admission: WriteAdmission) -> None:
        self._admission: WriteAdmission | None = admission

    def release(self) -> None:
        if self._admission is not None:
            self._admission.sending -= 1
            self._admission = None


def command_sent() -> None:
    """The broker has the current write's command: from here it only waits for the
    worker, and no longer counts against `COMMAND_SEND_CONCURRENCY`."""
    held = _sending.get()
    if held is not None:
        held.release()


class WriteAdmission:
    """Notes each request's arrival, and refuses a write past `limit` in progress or past
    `send_limit` whose commands the broker does not have yet (`command_sent`).

    The outermost of our middlewares, so little work comes before either.
    """

    def __init__(self, app: ASGIApp, limit: int, send_limit: int | None = None) -> None:
        self.app = app
        self.limit = max(1, limit)
        self.send_limit = self.limit if send_limit is None else max(1, min(send_limit, limit))
        self.in_progress = 0
        self.sending = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _arrived_at.set(time.monotonic())
        try:
            if scope["method"] not in WRITE_METHODS:
                await self.app(scope, receive, send)
            elif self.in_progress >= self.limit or self.sending >= self.send_limit:
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
                self.sending += 1
                held = _Sending(self)
                holding = _sending.set(held)
                timing = server_timing.begin()
                try:
                    await self.app(scope, receive, send)
                finally:
                    server_timing.end(timing)
                    _sending.reset(holding)
                    held.release()
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
