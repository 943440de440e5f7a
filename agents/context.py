"""What a command handler is given and what it gives back."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from core.clock import utcnow
from core.errors import RTError
from core.settings import Settings
from stores.bundle import Stores
from stores.postgres.database import Connection
from topics.envelopes import CommandEnvelope, EventEnvelope


@dataclass(frozen=True, slots=True)
class HandlerContext:
    settings: Settings
    stores: Stores


@dataclass(frozen=True, slots=True)
class Applied:
    resource_id: UUID
    events: list[EventEnvelope] = field(default_factory=list)
    resource: dict[str, Any] | None = None


Result = Applied | RTError
"""What a handler made of one command: applied, or rejected by a rule."""

BatchHandler = Callable[
    [Sequence[CommandEnvelope], "HandlerContext", Connection], Awaitable[list[Result]]
]
"""Applies commands of one type set-wise in the caller's transaction, one result each.

A handler writes only for the commands it applies, so a rejected command leaves nothing
behind and its rejection is recorded in the same transaction.
"""


def effective_time(command: CommandEnvelope) -> datetime:
    """When the command happens: now, or the past moment a job replaying history gave
    (the processor has already refused an `occurred_at` the sender may not set)."""
    return command.occurred_at or utcnow()


def new_event(
    command: CommandEnvelope, *, type: str, aggregate_id: UUID, version: int, data: dict[str, Any]
) -> EventEnvelope:
    # The event id derives from the command, so a re-emitted event is recognisably the same one.
    return EventEnvelope(
        event_id=uuid.uuid5(command.command_id, f"{type}:{aggregate_id}:{version}"),
        type=type,
        tenant_id=command.tenant_id,
        aggregate_id=aggregate_id,
        version=version,
        occurred_at=effective_time(command),
        caused_by=command.command_id,
        actor=command.actor,
        data=data,
        # An event about the command's person is sealed with that person's key.
        subject_id=command.subject_id,
    )
