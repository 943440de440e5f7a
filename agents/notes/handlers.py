"""Note handlers: a note is written only on a record of the same agency."""

from __future__ import annotations

from collections.abc import Sequence

from agents.context import Applied, BatchHandler, HandlerContext, Result
from agents.handling import each_command, insert_created, parse_payload
from core.clock import utcnow
from core.errors import NotFound
from stores.postgres.database import Connection
from stores.postgres.notes import NOTES, subject_exists
from topics.envelopes import CommandEnvelope
from topics.notes import NOTE_CREATE, NOTE_CREATED, NoteCreate, NoteSnapshot


async def create_notes(
    commands: Sequence[CommandEnvelope], ctx: HandlerContext, conn: Connection
) -> list[Result]:
    async def apply(command: CommandEnvelope) -> Applied:
        payload = parse_payload(NoteCreate, command)
        tenant_id = command.tenant_id
        if not await subject_exists(conn, tenant_id, payload.subject_type, payload.subject_id):
            raise NotFound(f"no {payload.subject_type} {payload.subject_id}")
        now = utcnow()
        snapshot = NoteSnapshot(
            **payload.model_dump(exclude={"note_id"}),
            id=payload.note_id,
            tenant_id=tenant_id,
            author=command.actor.label,
            version=1,
            created_at=now,
            updated_at=now,
        )
        return await insert_created(conn, NOTES, command, NOTE_CREATED, snapshot)

    return await each_command(commands, conn, apply)


HANDLERS: dict[str, BatchHandler] = {NOTE_CREATE: create_notes}
