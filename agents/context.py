"""What a command handler is given and what it gives back."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from agents.metrics import timed
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


# The writes to other stores a set's handler started that must land before its
# transaction commits (None: no processor's transaction is open, in a test say).
_landing: ContextVar[Landing | None] = ContextVar("landing", default=None)


async def before_commit(write: Coroutine[Any, Any, None]) -> None:
    """Start a write to another store (MongoDB) that must land before the set's Postgres
    transaction commits, and go on with the transaction's own statements meanwhile.

    The processor waits for it before its last statements (`Landing.land`): a write that
    fails fails the transaction, as if it had been awaited here, so a record is never
    committed without what the write holds; what differs is only that the Postgres round
    trips in between no longer wait for it. Outside a processor's transaction it is
    awaited here.
    """
    pending = _landing.get()
    if pending is None:
        await write
        return
    pending.start(write)


class Landing:
    """The writes started beside one transaction (`before_commit`)."""

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, write: Coroutine[Any, Any, None]) -> None:
        self._tasks.append(asyncio.ensure_future(write))

    async def land(self) -> None:
        """Wait until every write started so far has landed; the first failure raises,
        and the others are cancelled."""
        tasks, self._tasks = self._tasks, []
        if not tasks:
            return
        try:
            with timed("wait for the writes beside the transaction"):
                await asyncio.gather(*tasks)
        except BaseException:
            await _cancelled(tasks)
            raise

    async def abandon(self) -> None:
        tasks, self._tasks = self._tasks, []
        await _cancelled(tasks)


async def _cancelled(tasks: Sequence[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@contextlib.asynccontextmanager
async def landing() -> AsyncIterator[Landing]:
    """Within the block, `before_commit` writes run beside it; `land()` waits for them
    where the block must (the processor: before the audit entries, which lock the agency's
    audit head until the commit), and leaving the block lands what is left. When the
    block fails, each is cancelled and waited for, so none outlives its transaction."""
    writes = Landing()
    token = _landing.set(writes)
    try:
        yield writes
    except BaseException:
        await writes.abandon()
        raise
    finally:
        _landing.reset(token)
    await writes.land()
