"""Client and contact command handlers, set-wise: `verb_nouns(commands, ctx, conn)`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agents.context import Applied, BatchHandler, HandlerContext, Result, new_event
from agents.handling import created, each_command, insert_created, parse_payload
from agents.patching import apply_patch
from core.clock import utcnow
from core.errors import Conflict, InvalidCommand, NotFound, RTError
from domain import contact_points as normalize
from stores.postgres.clients import CLIENTS, CONTACTS
from stores.postgres.database import Connection
from stores.postgres.erasure import erase_contact_data
from topics.clients import (
    CLIENT_CREATE,
    CLIENT_CREATED,
    CLIENT_UPDATE,
    CLIENT_UPDATED,
    CONTACT_CREATE,
    CONTACT_CREATED,
    CONTACT_ERASE,
    CONTACT_ERASED,
    CONTACT_UPDATE,
    CONTACT_UPDATED,
    ClientCreate,
    ClientSnapshot,
    ClientUpdate,
    ContactCreate,
    ContactErase,
    ContactErased,
    ContactSnapshot,
    ContactUpdate,
)
from topics.envelopes import CommandEnvelope


def _normalised_contact(fields: dict[str, Any], settings_region: str) -> dict[str, Any]:
    out = dict(fields)
    if out.get("email") is not None:
        out["email"] = normalize.normalize_email(out["email"])
    if out.get("phone") is not None:
        out["phone"] = normalize.normalize_phone(out["phone"], settings_region)
    return out


async def create_clients(
    commands: Sequence[CommandEnvelope], ctx: HandlerContext, conn: Connection
) -> list[Result]:
    """New clients of the agency, inserted together."""
    results: dict[int, Result] = {}
    fresh: list[tuple[int, ClientSnapshot, CommandEnvelope]] = []
    for i, command in enumerate(commands):
        try:
            payload = parse_payload(ClientCreate, command)
        except RTError as error:
            results[i] = error
            continue
        now = utcnow()
        snapshot = ClientSnapshot.model_validate(
            {
                **payload.model_dump(exclude={"client_id"}),
                "id": payload.client_id,
                "tenant_id": command.tenant_id,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        fresh.append((i, snapshot, command))
    inserted = await CLIENTS.insert_new(conn, [CLIENTS.row(s) for _, s, _ in fresh])
    for i, snapshot, command in fresh:
        if snapshot.id in inserted:
            results[i] = created(command, CLIENT_CREATED, snapshot)
        else:
            results[i] = Conflict(f"client {snapshot.id} already exists")
    return [results[i] for i in range(len(commands))]


async def update_clients(
    commands: Sequence[CommandEnvelope], ctx: HandlerContext, conn: Connection
) -> list[Result]:
    async def apply(command: CommandEnvelope) -> Applied:
        payload = parse_payload(ClientUpdate, command)
        return await apply_patch(
            conn,
            command,
            rows=CLIENTS,
            snapshot_type=ClientSnapshot,
            aggregate_id=payload.client_id,
            changes=payload.changes.changes(),
            event_type=CLIENT_UPDATED,
        )

    return await each_command(commands, conn, apply)


async def create_contacts(
    commands: Sequence[CommandEnvelope], ctx: HandlerContext, conn: Connection
) -> list[Result]:
    region = ctx.settings.default_phone_region

    async def apply(command: CommandEnvelope) -> Applied:
        payload = parse_payload(ContactCreate, command)
        if await CLIENTS.get(conn, command.tenant_id, payload.client_id) is None:
            raise NotFound(f"no client {payload.client_id}")
        now = utcnow()
        fields = _normalised_contact(payload.model_dump(exclude={"contact_id"}), region)
        snapshot = ContactSnapshot.model_validate(
            {
                **fields,
                "id": payload.contact_id,
                "tenant_id": command.tenant_id,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        # E-mail and phone at rest are sealed with the contact's key; the event and the
        # answer carry them as given (the event is sealed on its way out).
        row = await ctx.stores.at_rest.seal_contact(command.tenant_id, CONTACTS.row(snapshot))
        return await insert_created(conn, CONTACTS, command, CONTACT_CREATED, snapshot, row)

    return await each_command(commands, conn, apply)


async def update_contacts(
    commands: Sequence[CommandEnvelope], ctx: HandlerContext, conn: Connection
) -> list[Result]:
    region = ctx.settings.default_phone_region
    at_rest = ctx.stores.at_rest

    async def opened(row: dict[str, Any]) -> dict[str, Any]:
        return (await at_rest.open_contacts([row]))[0]

    async def apply(command: CommandEnvelope) -> Applied:
        payload = parse_payload(ContactUpdate, command)

        async def sealed(row: dict[str, Any]) -> dict[str, Any]:
            return await at_rest.seal_contact(command.tenant_id, row)

        async def same_client(current: dict[str, Any]) -> None:
            if current["client_id"] != payload.client_id:
                raise InvalidCommand(
                    f"contact {payload.contact_id} belongs to client {current['client_id']}, "
                    f"not {payload.client_id}",
                    field="client_id",
                )

        return await apply_patch(
            conn,
            command,
            rows=CONTACTS,
            snapshot_type=ContactSnapshot,
            aggregate_id=payload.contact_id,
            changes=_normalised_contact(payload.changes.changes(), region),
            event_type=CONTACT_UPDATED,
            check=same_client,
            opened=opened,
            sealed=sealed,
        )

    return await each_command(commands, conn, apply)


async def erase_contacts(
    commands: Sequence[CommandEnvelope], ctx: HandlerContext, conn: Connection
) -> list[Result]:
    async def apply(command: CommandEnvelope) -> Applied:
        payload = parse_payload(ContactErase, command)
        tenant_id, contact_id = command.tenant_id, payload.contact_id
        current = await CONTACTS.get(conn, tenant_id, contact_id, lock=True)
        if current is None or current["client_id"] != payload.client_id:
            raise NotFound(f"no contact {contact_id} of client {payload.client_id}")
        await erase_contact_data(conn, tenant_id, contact_id)
        ctx.stores.keys.forget(tenant_id, [contact_id])
        erased = ContactErased(
            id=contact_id,
            tenant_id=tenant_id,
            client_id=payload.client_id,
            erased_at=utcnow(),
            erased_by=command.actor.label,
        )
        event = new_event(
            command,
            type=CONTACT_ERASED,
            aggregate_id=contact_id,
            version=0,
            data=erased.model_dump(mode="json"),
        )
        return Applied(contact_id, [event], resource=None)

    return await each_command(commands, conn, apply)


HANDLERS: dict[str, BatchHandler] = {
    CLIENT_CREATE: create_clients,
    CLIENT_UPDATE: update_clients,
    CONTACT_CREATE: create_contacts,
    CONTACT_UPDATE: update_contacts,
    CONTACT_ERASE: erase_contacts,
}
