"""Requisition command handlers: `verb_nouns(commands, ctx, conn)` by command type."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from agents.context import Applied, BatchHandler, HandlerContext, Result, effective_time
from agents.handling import each_command, insert_created, parse_payload
from agents.patching import apply_patch
from core.errors import Conflict, InvalidCommand, NotFound
from stores.postgres.clients import CLIENTS, CONTACTS
from stores.postgres.database import Connection
from stores.postgres.requisitions import REQUISITIONS
from topics.envelopes import CommandEnvelope
from topics.requisitions import (
    REQUISITION_CREATE,
    REQUISITION_CREATED,
    REQUISITION_SET_STATUS,
    REQUISITION_STATUS_CHANGED,
    REQUISITION_UPDATE,
    REQUISITION_UPDATED,
    RequisitionCreate,
    RequisitionSetStatus,
    RequisitionSnapshot,
    RequisitionUpdate,
)


async def _check_parties(
    conn: Connection, tenant_id: UUID, client_id: UUID, contact_id: UUID | None
) -> None:
    """The client must be the agency's, and the hiring contact one of that client's."""
    if await CLIENTS.get(conn, tenant_id, client_id) is None:
        raise NotFound(f"no client {client_id}")
    if contact_id is not None:
        contact = await CONTACTS.get(conn, tenant_id, contact_id)
        if contact is None or contact["client_id"] != client_id:
            raise InvalidCommand(
                f"contact {contact_id} is not a contact of client {client_id}", field="contact_id"
            )


async def create_requisitions(
    commands: Sequence[CommandEnvelope], ctx: HandlerContext, conn: Connection
) -> list[Result]:
    async def apply(command: CommandEnvelope) -> Applied:
        payload = parse_payload(RequisitionCreate, command)
        await _check_parties(conn, command.tenant_id, payload.client_id, payload.contact_id)
        now = effective_time(command)
        snapshot = RequisitionSnapshot.model_validate(
            {
                **payload.model_dump(exclude={"requisition_id"}),
                "id": payload.requisition_id,
                "tenant_id": command.tenant_id,
                "status": "open",
                "opened_at": now,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        return await insert_created(conn, REQUISITIONS, command, REQUISITION_CREATED, snapshot)

    return await each_command(commands, conn, apply)


async def update_requisitions(
    commands: Sequence[CommandEnvelope], ctx: HandlerContext, conn: Connection
) -> list[Result]:
    async def apply(command: CommandEnvelope) -> Applied:
        payload = parse_payload(RequisitionUpdate, command)
        changes = payload.changes.changes()

        async def parties(current: dict[str, Any]) -> None:
            if changes.get("contact_id") is not None:
                await _check_parties(
                    conn, command.tenant_id, current["client_id"], UUID(changes["contact_id"])
                )

        return await apply_patch(
            conn,
            command,
            rows=REQUISITIONS,
            snapshot_type=RequisitionSnapshot,
            aggregate_id=payload.requisition_id,
            changes=changes,
            event_type=REQUISITION_UPDATED,
            check=parties,
        )

    return await each_command(commands, conn, apply)


async def set_requisition_statuses(
    commands: Sequence[CommandEnvelope], ctx: HandlerContext, conn: Connection
) -> list[Result]:
    async def apply(command: CommandEnvelope) -> Applied:
        payload = parse_payload(RequisitionSetStatus, command)

        async def is_a_change(current: dict[str, Any]) -> None:
            if current["status"] == payload.status:
                raise Conflict(f"requisition {payload.requisition_id} is already {payload.status}")

        return await apply_patch(
            conn,
            command,
            rows=REQUISITIONS,
            snapshot_type=RequisitionSnapshot,
            aggregate_id=payload.requisition_id,
            changes={
                "status": payload.status,
                "status_reason": payload.reason,
                "filled_at": effective_time(command) if payload.status == "filled" else None,
            },
            event_type=REQUISITION_STATUS_CHANGED,
            check=is_a_change,
        )

    return await each_command(commands, conn, apply)


HANDLERS: dict[str, BatchHandler] = {
    REQUISITION_CREATE: create_requisitions,
    REQUISITION_UPDATE: update_requisitions,
    REQUISITION_SET_STATUS: set_requisition_statuses,
}
