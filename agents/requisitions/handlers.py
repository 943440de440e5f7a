"""Requisition command handlers: `verb_nouns(commands, ctx, conn)` by command type."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from agents.context import Applied, BatchHandler, HandlerContext, Result, new_event
from agents.handling import each_command, parse_payload
from agents.patching import apply_patch
from core.clock import utcnow
from core.errors import Conflict, InvalidCommand, NotFound
from stores.postgres import rows
from stores.postgres.tables import clients, contacts, requisitions
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

# Columns stored as JSONB take JSON-ready values; the rest take Python values.
JSONB_FIELDS = frozenset({"location", "bill_rate", "salary"})


def requisition_row(snapshot: RequisitionSnapshot) -> dict[str, Any]:
    return rows.to_row(snapshot, JSONB_FIELDS)


async def _check_parties(
    conn: AsyncConnection, tenant_id: UUID, client_id: UUID, contact_id: UUID | None
) -> None:
    """The client must be the agency's, and the hiring contact one of that client's."""
    if await rows.get_row(conn, clients, tenant_id, client_id) is None:
        raise NotFound(f"no client {client_id}")
    if contact_id is not None:
        contact = await rows.get_row(conn, contacts, tenant_id, contact_id)
        if contact is None or contact["client_id"] != client_id:
            raise InvalidCommand(
                f"contact {contact_id} is not a contact of client {client_id}", field="contact_id"
            )


async def create_requisitions(
    commands: Sequence[CommandEnvelope], ctx: HandlerContext, conn: AsyncConnection
) -> list[Result]:
    async def apply(command: CommandEnvelope) -> Applied:
        payload = parse_payload(RequisitionCreate, command)
        await _check_parties(conn, command.tenant_id, payload.client_id, payload.contact_id)
        now = utcnow()
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
        if not await rows.insert_new_rows(conn, requisitions, [requisition_row(snapshot)]):
            raise Conflict(f"requisition {snapshot.id} already exists")
        data = snapshot.model_dump(mode="json")
        event = new_event(
            command, type=REQUISITION_CREATED, aggregate_id=snapshot.id, version=1, data=data
        )
        return Applied(snapshot.id, [event], resource=data)

    return await each_command(commands, conn, apply)


async def update_requisitions(
    commands: Sequence[CommandEnvelope], ctx: HandlerContext, conn: AsyncConnection
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
            table=requisitions,
            snapshot_type=RequisitionSnapshot,
            aggregate_id=payload.requisition_id,
            changes=changes,
            event_type=REQUISITION_UPDATED,
            noun="requisition",
            check=parties,
            to_row=requisition_row,
        )

    return await each_command(commands, conn, apply)


async def set_requisition_statuses(
    commands: Sequence[CommandEnvelope], ctx: HandlerContext, conn: AsyncConnection
) -> list[Result]:
    async def apply(command: CommandEnvelope) -> Applied:
        payload = parse_payload(RequisitionSetStatus, command)

        async def is_a_change(current: dict[str, Any]) -> None:
            if current["status"] == payload.status:
                raise Conflict(f"requisition {payload.requisition_id} is already {payload.status}")

        return await apply_patch(
            conn,
            command,
            table=requisitions,
            snapshot_type=RequisitionSnapshot,
            aggregate_id=payload.requisition_id,
            changes={
                "status": payload.status,
                "status_reason": payload.reason,
                "filled_at": utcnow() if payload.status == "filled" else None,
            },
            event_type=REQUISITION_STATUS_CHANGED,
            noun="requisition",
            check=is_a_change,
            to_row=requisition_row,
        )

    return await each_command(commands, conn, apply)


HANDLERS: dict[str, BatchHandler] = {
    REQUISITION_CREATE: create_requisitions,
    REQUISITION_UPDATE: update_requisitions,
    REQUISITION_SET_STATUS: set_requisition_statuses,
}
