"""`Server-Timing` on a write's answer: where its time went in this gateway.

A write's answer says, in milliseconds of this process's monotonic clock and counted from
the request's arrival (gateway/admission.py), how long each step took (W3C Server Timing):

- `send`: arrival until the broker acknowledged the command (auth, validation, sealing,
  the outcome key, the produce), of which `send-seal` (the person's key and sealing) and
  `send-publish` (the produce until the broker's acknowledgement);
- `wait`: the acknowledgement until the outcome reached this process (the worker, and
  the outcome's announcement);
- `wake`: the announcement until the waiting request ran again (this process's event
  loop, busy with the others);
- `open`: opening the resource from the event the outcome's announcement carried
  (gateway/commands.py), or `read`: reading it back from the stores (a read may name its
  parts too: a candidate's `read-record`, Postgres, and `read-profile`, MongoDB);
- `total`: arrival until the answer was ready.

A client (or a load test) sees where a slow write waited without any tracing set up; it
costs a few clock reads. Durations only: nothing about the record, the caller or the
other requests.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

HEADER = "Server-Timing"

# One list per request, set by the admission middleware (the request's own context, so
# the route's task appends to it).
_steps: ContextVar[list[tuple[str, float]] | None] = ContextVar("server_timing", default=None)


def begin() -> Token[list[tuple[str, float]] | None]:
    """Start collecting the current request's steps."""
    return _steps.set([])


def end(token: Token[list[tuple[str, float]] | None]) -> None:
    _steps.reset(token)


def note(name: str, seconds: float) -> None:
    """Record that `name` took `seconds` (ignored outside a request)."""
    steps = _steps.get()
    if steps is not None:
        steps.append((name, seconds))


@contextmanager
def timed(name: str) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        note(name, time.monotonic() - started)


def header(arrived_at: float) -> str:
    """The header's value: the steps noted so far, and the total since `arrived_at`."""
    steps = [*(_steps.get() or []), ("total", time.monotonic() - arrived_at)]
    return ", ".join(f"{name};dur={seconds * 1000:.1f}" for name, seconds in steps)
