"""Recording what became of each command, in the same transaction as its effect."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import Conflict, RTError
from stores.postgres import commands as ledger
from stores.postgres.database import Database
from topics.envelopes import CommandEnvelope, EventEnvelope


async def record_applied(
    conn: AsyncConnection, command: CommandEnvelope, resource_id: UUID, events: list[EventEnvelope]
) -> None:
    recorded = await ledger.record_processed(
        conn,
        command_id=command.command_id,
        tenant_id=command.tenant_id,
        type=command.type,
        status="applied",
        resource_id=resource_id,
        error=None,
        events=[e.model_dump(mode="json") for e in events],
    )
    if not recorded:
        # Raising rolls the whole change back: the other delivery already applied it.
        raise Conflict(f"command {command.command_id} was already processed")


async def record_rejected(db: Database, command: CommandEnvelope, error: RTError) -> None:
    async with db.transaction() as conn:
        await ledger.record_processed(
            conn,
            command_id=command.command_id,
            tenant_id=command.tenant_id,
            type=command.type,
            status="rejected",
            resource_id=None,
            error=error.as_dict(),
            events=[],
        )
