"""The processed-command ledger that makes effects exactly-once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ARRAY, Uuid, bindparam, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres.bulk import BULK_MIN_ROWS, copy_rows
from stores.postgres.tables import processed_commands


async def get_processed(conn: AsyncConnection, command_id: UUID) -> dict[str, Any] | None:
    return (await get_processed_many(conn, [command_id])).get(command_id)


async def get_processed_many(
    conn: AsyncConnection, command_ids: Sequence[UUID]
) -> dict[UUID, dict[str, Any]]:
    if not command_ids:
        return {}
    rows = (
        await conn.execute(
            select(processed_commands).where(processed_commands.c.command_id.in_(command_ids))
        )
    ).mappings()
    return {row["command_id"]: dict(row) for row in rows}


async def record_processed_many(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> bool:
    """Record outcomes; False when another delivery already recorded one of them.

    Each row has command_id, tenant_id, type, status, resource_id, error and events.
    """
    if not rows:
        return True
    if len(rows) >= BULK_MIN_ROWS:
        # Callers looked the ids up in this transaction; a concurrent delivery that
        # recorded one meanwhile fails the COPY, and with it the transaction.
        await copy_rows(conn, processed_commands, rows)
        return True
    result = await conn.execute(
        insert(processed_commands)
        .values(list(rows))
        .on_conflict_do_nothing(index_elements=["command_id"])
    )
    return bool(result.rowcount == len(rows))


_OUTCOMES = text(
    "SELECT command_id, status, error FROM processed_commands WHERE command_id = ANY(:ids)"
).bindparams(bindparam("ids", type_=ARRAY(Uuid)))


async def get_outcomes(
    conn: AsyncConnection, command_ids: Sequence[UUID]
) -> dict[UUID, tuple[str, dict[str, Any] | None]]:
    """Status and error of each recorded command, without its (large) events."""
    if not command_ids:
        return {}
    rows = await conn.execute(_OUTCOMES, {"ids": list(command_ids)})
    return {row[0]: (row[1], row[2]) for row in rows}
