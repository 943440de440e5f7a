"""The processed-command ledger that makes effects exactly-once."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres.tables import processed_commands


async def get_processed(conn: AsyncConnection, command_id: UUID) -> dict[str, Any] | None:
    row = (
        (
            await conn.execute(
                select(processed_commands).where(processed_commands.c.command_id == command_id)
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


async def record_processed(
    conn: AsyncConnection,
    *,
    command_id: UUID,
    tenant_id: UUID,
    type: str,
    status: str,
    resource_id: UUID | None,
    error: dict[str, Any] | None,
    events: list[dict[str, Any]],
) -> bool:
    """Record the outcome; False when another delivery of the same command won the race."""
    result = await conn.execute(
        insert(processed_commands)
        .values(
            command_id=command_id,
            tenant_id=tenant_id,
            type=type,
            status=status,
            resource_id=resource_id,
            error=error,
            events=events,
        )
        .on_conflict_do_nothing(index_elements=["command_id"])
    )
    return bool(result.rowcount)
