"""The update every row-backed aggregate shares: lock, check the version, merge, store."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel, ValidationError

from agents.context import Applied, new_event
from core.clock import utcnow
from core.errors import NotFound, invalid_from
from domain.versions import check_version
from stores.postgres.database import Connection
from stores.postgres.rows import Row, Rows
from topics.envelopes import CommandEnvelope

S = TypeVar("S", bound=BaseModel)


async def apply_patch(
    conn: Connection,
    command: CommandEnvelope,
    *,
    rows: Rows,
    snapshot_type: type[S],
    aggregate_id: UUID,
    changes: dict[str, Any],
    event_type: str,
    check: Callable[[Row], Awaitable[None]] | None = None,
    opened: Callable[[Row], Awaitable[Row]] | None = None,
    sealed: Callable[[Row], Awaitable[Row]] | None = None,
) -> Applied:
    """Merge `changes` into the tenant's row, one version up, and describe it as an event.

    `check` sees the locked current row before anything is written (say, to insist that a
    contact belongs to the client its command is keyed by). `opened` turns the row as
    stored into the row as read, `sealed` the new row into the row as stored (a contact's
    e-mail and phone are sealed at rest).
    """
    current = await rows.get(conn, command.tenant_id, aggregate_id, lock=True)
    if current is None:
        raise NotFound(f"no {rows.noun} {aggregate_id}")
    if opened is not None:
        current = await opened(current)
    if check is not None:
        await check(current)
    check_version(rows.noun, aggregate_id, current["version"], command.expected_version)
    try:
        snapshot = snapshot_type.model_validate(
            {**current, **changes, "version": current["version"] + 1, "updated_at": utcnow()}
        )
    except ValidationError as exc:
        raise invalid_from(exc) from None
    row = rows.row(snapshot)
    await rows.update(conn, await sealed(row) if sealed is not None else row)
    data = snapshot.model_dump(mode="json")
    event = new_event(
        command, type=event_type, aggregate_id=aggregate_id, version=data["version"], data=data
    )
    return Applied(aggregate_id, [event], resource=data)
