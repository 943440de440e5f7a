"""The update every row-backed aggregate shares: lock, check the version, merge, store."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel, ValidationError
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from agents.context import Applied, new_event
from core.clock import utcnow
from core.errors import NotFound, VersionMismatch
from core.errors import invalid_from
from stores.postgres import rows
from topics.envelopes import CommandEnvelope

S = TypeVar("S", bound=BaseModel)


async def apply_patch(
    conn: AsyncConnection,
    command: CommandEnvelope,
    *,
    table: Table,
    snapshot_type: type[S],
    aggregate_id: UUID,
    changes: dict[str, Any],
    event_type: str,
    noun: str,
    check: Callable[[dict[str, Any]], Awaitable[None]] | None = None,
    to_row: Callable[[S], dict[str, Any]] | None = None,
) -> Applied:
    """Merge `changes` into the tenant's row, one version up, and describe it as an event.

    `check` sees the locked current row before anything is written (say, to insist that a
    contact belongs to the client its command is keyed by). `to_row` turns the snapshot
    into column values where they differ from the snapshot's own (JSONB columns, say).
    """
    current = await rows.get_row(conn, table, command.tenant_id, aggregate_id, lock=True)
    if current is None:
        raise NotFound(f"no {noun} {aggregate_id}")
    if check is not None:
        await check(current)
    if command.expected_version is not None and command.expected_version != current["version"]:
        raise VersionMismatch(
            f"{noun} {aggregate_id} is at version {current['version']}, not "
            f"{command.expected_version}; read it again and reapply your change",
            current_version=current["version"],
        )
    try:
        snapshot = snapshot_type.model_validate(
            {**current, **changes, "version": current["version"] + 1, "updated_at": utcnow()}
        )
    except ValidationError as exc:
        raise invalid_from(exc) from None
    await rows.update_row(conn, table, to_row(snapshot) if to_row else snapshot.model_dump())
    data = snapshot.model_dump(mode="json")
    event = new_event(
        command, type=event_type, aggregate_id=aggregate_id, version=data["version"], data=data
    )
    return Applied(aggregate_id, [event], resource=data)
