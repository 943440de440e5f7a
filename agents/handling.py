"""Small pieces every domain's handlers share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from agents.context import Applied, Result, new_event
from core.errors import Conflict, RTError, invalid_from
from stores.postgres.database import Connection
from stores.postgres.rows import Row, Rows, Snapshot
from topics.envelopes import CommandEnvelope

M = TypeVar("M", bound=BaseModel)


def parse_payload(model: type[M], command: CommandEnvelope) -> M:
    """The command's payload as `model`, or the 422 that says which fields are wrong."""
    try:
        return model.model_validate(command.payload)
    except ValidationError as exc:
        raise invalid_from(exc) from None


def created(command: CommandEnvelope, event_type: str, snapshot: Snapshot) -> Applied:
    """A new aggregate at version 1, described by its first event."""
    data = snapshot.model_dump(mode="json")
    event = new_event(command, type=event_type, aggregate_id=snapshot.id, version=1, data=data)
    return Applied(snapshot.id, [event], resource=data)


async def insert_created(
    conn: Connection,
    rows: Rows,
    command: CommandEnvelope,
    event_type: str,
    snapshot: Snapshot,
    row: Row | None = None,
) -> Applied:
    """Insert a new aggregate's row (`row`, or the snapshot's columns) and describe it.

    An id that is taken is a conflict: a second create of the same aggregate.
    """
    if not await rows.insert_new(conn, [row if row is not None else rows.row(snapshot)]):
        raise Conflict(f"{rows.noun} {snapshot.id} already exists")
    return created(command, event_type, snapshot)


async def each_command(
    commands: Sequence[CommandEnvelope],
    conn: Connection,
    apply: Callable[[CommandEnvelope], Awaitable[Applied]],
) -> list[Result]:
    """Apply commands one after another in the caller's transaction; a rule's error is a result.

    Each command runs in a savepoint, so one that breaks a rule halfway leaves nothing
    behind while the others in the transaction stand.
    """
    results: list[Result] = []
    for command in commands:
        try:
            async with conn.begin_nested():
                results.append(await apply(command))
        except RTError as error:
            results.append(error)
    return results
