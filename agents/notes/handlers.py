"""Note handlers: a note is written only on a record of the same agency."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from agents.context import Applied, BatchHandler, HandlerContext, Result, new_event
from agents.handling import each_command, parse_payload
from core.clock import utcnow
from core.errors import Conflict, NotFound
from stores.postgres import rows
from stores.postgres.tables import (
    candidates,
    clients,
    contacts,
    requisitions,
    submissions,
)
from stores.postgres.tables import notes as notes_table
from topics.envelopes import CommandEnvelope
from topics.notes import NOTE_CREATE, NOTE_CREATED, NoteCreate, NoteSnapshot

SUBJECT_TABLES: dict[str, Table] = {
    "candidate": candidates,
    "client": clients,
    "contact": contacts,
    "requisition": requisitions,
    "submission": submissions,
}


async def create_notes(
    commands: Sequence[CommandEnvelope], ctx: HandlerContext, conn: AsyncConnection
) -> list[Result]:
    async def apply(command: CommandEnvelope) -> Applied:
        payload = parse_payload(NoteCreate, command)
        table = SUBJECT_TABLES[payload.subject_type]
        if await rows.get_row(conn, table, command.tenant_id, payload.subject_id) is None:
            raise NotFound(f"no {payload.subject_type} {payload.subject_id}")
        now = utcnow()
        snapshot = NoteSnapshot(
            **payload.model_dump(exclude={"note_id"}),
            id=payload.note_id,
            tenant_id=command.tenant_id,
            author=command.actor.label,
            version=1,
            created_at=now,
            updated_at=now,
        )
        if not await rows.insert_new_rows(conn, notes_table, [snapshot.model_dump()]):
            raise Conflict(f"note {snapshot.id} already exists")
        data = snapshot.model_dump(mode="json")
        event = new_event(
            command, type=NOTE_CREATED, aggregate_id=snapshot.id, version=1, data=data
        )
        return Applied(snapshot.id, [event], resource=data)

    return await each_command(commands, conn, apply)


HANDLERS: dict[str, BatchHandler] = {NOTE_CREATE: create_notes}
