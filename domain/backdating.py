"""Who may say that a command happened in the past, and how far back.

A command normally happens when a worker applies it. A job that replays an agency's
history (the demo data) may say when each step happened instead (`occurred_at` on the
command envelope), so the analytics place it at its time. That power must not become a
way to forge history, so it is the jobs' alone:

- the gateway builds every envelope itself (never from the request body) and stamps every
  command it publishes with a `deadline` and the client's `address`;
- an integration's commands are re-stamped by the gate with an actor of kind
  `integration`;
- so a command with `occurred_at` is applied only if it carries no deadline and no
  address and its actor is not an integration: one a job published with the jobs
  principal (Kafka lets only the gateway and the jobs write the command topics).

The time must be in the past (a little clock skew aside) and within `MAX_AGE`; a stage
move must not come before the submission's last move (its history stays in order).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core.errors import InvalidCommand
from domain.permissions import Forbidden

MAX_AGE = timedelta(days=366)
SKEW = timedelta(minutes=1)


def refusal(
    occurred_at: datetime | None,
    *,
    actor_kind: str,
    deadline: datetime | None,
    address: str | None,
    now: datetime,
) -> Forbidden | InvalidCommand | None:
    """Why a command's `occurred_at` may not be honoured (None: absent, or allowed)."""
    if occurred_at is None:
        return None
    if deadline is not None or address is not None or actor_kind == "integration":
        return Forbidden(
            "only a job may set occurred_at on a command (replaying history); the gateway "
            "and integrations act now",
            permission="occurred_at",
        )
    if occurred_at > now + SKEW:
        return InvalidCommand("occurred_at is in the future", field="occurred_at")
    if occurred_at < now - MAX_AGE:
        return InvalidCommand(
            f"occurred_at is more than {MAX_AGE.days} days ago", field="occurred_at"
        )
    return None


def check_in_order(at: datetime, last: datetime) -> None:
    """A move recorded at `at` may not precede the submission's last move at `last`."""
    if at < last:
        raise InvalidCommand(
            f"this move is dated {at.isoformat()}, before the submission's last move "
            f"({last.isoformat()}): a history stays in order",
            field="occurred_at",
        )
