"""The processed-command ledger that makes effects exactly-once.

Keyed by agency and command id: whoever sends a command chooses its id, so one agency's
id never meets another agency's recorded outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ARRAY, Uuid, bindparam, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres.bulk import BULK_MIN_ROWS, copy_rows
from stores.postgres.tables import processed_commands

CommandKey = tuple[UUID, UUID]
"""(tenant_id, command_id)."""

# One statement whatever the number of keys: they travel as two arrays (a cached plan).
_PROCESSED = text(
    """
    SELECT pc.* FROM processed_commands AS pc
    JOIN unnest(:tenant_ids, :command_ids) AS k(tenant_id, command_id)
      ON pc.tenant_id = k.tenant_id AND pc.command_id = k.command_id
    """
).bindparams(
    bindparam("tenant_ids", type_=ARRAY(Uuid)), bindparam("command_ids", type_=ARRAY(Uuid))
)


async def get_processed_many(
    conn: AsyncConnection, keys: Sequence[CommandKey]
) -> dict[CommandKey, dict[str, Any]]:
    """The recorded outcome (status, error, events...) of each of these commands seen before."""
    if not keys:
        return {}
    unique = list(dict.fromkeys(keys))
    rows = (
        await conn.execute(
            _PROCESSED,
            {"tenant_ids": [k[0] for k in unique], "command_ids": [k[1] for k in unique]},
        )
    ).mappings()
    return {(row["tenant_id"], row["command_id"]): dict(row) for row in rows}


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
    # The rows as parameters, not `.values(rows)`: compiled once (stores/postgres/rows.py).
    recorded = await conn.execute(
        insert(processed_commands)
        .on_conflict_do_nothing(index_elements=["tenant_id", "command_id"])
        .returning(processed_commands.c.command_id),
        list(rows),
    )
    return len(recorded.all()) == len(rows)


_OUTCOMES = text(
    "SELECT command_id, status, error FROM processed_commands"
    " WHERE tenant_id = :tenant AND command_id = ANY(:ids)"
).bindparams(bindparam("ids", type_=ARRAY(Uuid)))


async def get_outcomes(
    conn: AsyncConnection, tenant_id: UUID, command_ids: Sequence[UUID]
) -> dict[UUID, tuple[str, dict[str, Any] | None]]:
    """Status and error of each of the agency's recorded commands, without its (large) events."""
    if not command_ids:
        return {}
    rows = await conn.execute(_OUTCOMES, {"tenant": tenant_id, "ids": list(command_ids)})
    return {row[0]: (row[1], row[2]) for row in rows}
