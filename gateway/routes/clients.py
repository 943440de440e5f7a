"""Client companies and their contacts (CRM): writes are commands, reads come from Postgres."""

from __future__ import annotations

import uuid
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from gateway.auth import Principal
from gateway.deps import (
    BusDep,
    IdempotencyHeader,
    IfMatchHeader,
    PreferHeader,
    StoresDep,
    allow,
)
from gateway.pagination import decode_page_cursor, next_page_cursor
from gateway.queries import contacts as contact_reads
from gateway.queries.rows import get_one, page
from gateway.responses import (
    CommandAccepted,
    etag_for,
    expected_version,
)
from gateway.writes import row_loader, write
from stores.postgres.clients import CLIENTS
from topics.clients import (
    CLIENT_CREATE,
    CLIENT_UPDATE,
    CONTACT_CREATE,
    CONTACT_UPDATE,
    ClientFields,
    ClientPatch,
    ClientSnapshot,
    ClientStatus,
    ContactFields,
    ContactPatch,
    ContactSnapshot,
)
from topics.names import CLIENT_COMMANDS

router = APIRouter(tags=["clients"])

WRITE_RESPONSES: dict[int | str, dict[str, object]] = {
    202: {"model": CommandAccepted, "description": "Accepted; poll `status_url`"},
    404: {"description": "Not found in your agency"},
    422: {"description": "Invalid fields"},
    503: {"description": "The broker cannot take the command"},
}


class ClientPage(BaseModel):
    items: list[ClientSnapshot]
    next_cursor: str | None


class ContactPage(BaseModel):
    items: list[ContactSnapshot]
    next_cursor: str | None


@router.post(
    "/clients",
    status_code=201,
    response_model=ClientSnapshot,
    summary="Create a client company",
    description="`default_fee_percent` is a fraction: 0.2 means 20 %.",
    responses=WRITE_RESPONSES,
)
async def create_client(
    body: ClientFields,
    principal: Annotated[Principal, allow("clients:write")],
    bus: BusDep,
    stores: StoresDep,
    prefer: PreferHeader = None,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    client_id = uuid.uuid4()
    fields = body.model_dump(mode="json")
    return await write(
        bus,
        principal,
        topic=CLIENT_COMMANDS,
        type=CLIENT_CREATE,
        key=client_id,
        payload={**fields, "client_id": str(client_id)},
        fingerprint=fields,
        prefer=prefer,
        idempotency=idempotency_key,
        load=row_loader(stores, CLIENTS, ClientSnapshot, principal.tenant_id),
        created_location="/api/v1/clients",
    )


@router.get(
    "/clients",
    response_model=ClientPage,
    summary="List client companies",
    description="Newest first; filter by `status`; pass `next_cursor` back as `cursor`.",
)
async def list_clients(
    principal: Annotated[Principal, allow("clients:read")],
    stores: StoresDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    status: ClientStatus | None = None,
) -> ClientPage:
    items = await page(
        stores,
        CLIENTS,
        ClientSnapshot,
        principal.tenant_id,
        limit=limit,
        after=decode_page_cursor(cursor),
        status=status,
    )
    return ClientPage(items=items, next_cursor=next_page_cursor(items, limit))


@router.get(
    "/clients/{client_id}",
    response_model=ClientSnapshot,
    summary="Get a client",
    responses={404: {"description": "No such client in your agency"}},
)
async def get_client(
    client_id: UUID,
    principal: Annotated[Principal, allow("clients:read")],
    stores: StoresDep,
    response: Response,
) -> ClientSnapshot:
    client = await get_one(stores, CLIENTS, ClientSnapshot, principal.tenant_id, client_id)
    response.headers["ETag"] = etag_for(client.version)
    return client


@router.patch(
    "/clients/{client_id}",
    response_model=ClientSnapshot,
    summary="Change a client",
    description="A JSON merge patch; `If-Match` refuses the change (412) if it moved on.",
    responses={**WRITE_RESPONSES, 412: {"description": "`If-Match` names an older version"}},
)
async def update_client(
    client_id: UUID,
    body: ClientPatch,
    principal: Annotated[Principal, allow("clients:write")],
    bus: BusDep,
    stores: StoresDep,
    if_match: IfMatchHeader = None,
    prefer: PreferHeader = None,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    changes = body.changes()
    return await write(
        bus,
        principal,
        topic=CLIENT_COMMANDS,
        type=CLIENT_UPDATE,
        key=client_id,
        payload={"client_id": str(client_id), "changes": changes},
        fingerprint=[str(client_id), changes, if_match],
        prefer=prefer,
        idempotency=idempotency_key,
        expected_version=expected_version(if_match),
        load=row_loader(stores, CLIENTS, ClientSnapshot, principal.tenant_id),
    )


@router.post(
    "/clients/{client_id}/contacts",
    status_code=201,
    response_model=ContactSnapshot,
    summary="Add a contact to a client",
    description="Email is stored lower-cased and phone in E.164.",
    responses=WRITE_RESPONSES,
)
async def create_contact(
    client_id: UUID,
    body: ContactFields,
    principal: Annotated[Principal, allow("clients:write")],
    bus: BusDep,
    stores: StoresDep,
    prefer: PreferHeader = None,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    contact_id = uuid.uuid4()
    fields = body.model_dump(mode="json")
    return await write(
        bus,
        principal,
        topic=CLIENT_COMMANDS,
        type=CONTACT_CREATE,
        key=client_id,
        payload={**fields, "contact_id": str(contact_id), "client_id": str(client_id)},
        fingerprint=[str(client_id), fields],
        prefer=prefer,
        idempotency=idempotency_key,
        load=contact_reads.contact_loader(stores, principal.tenant_id),
        created_location="/api/v1/contacts",
    )


@router.get(
    "/clients/{client_id}/contacts",
    response_model=ContactPage,
    summary="List a client's contacts",
    responses={404: {"description": "No such client in your agency"}},
)
async def list_contacts(
    client_id: UUID,
    principal: Annotated[Principal, allow("clients:read")],
    stores: StoresDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> ContactPage:
    await get_one(stores, CLIENTS, ClientSnapshot, principal.tenant_id, client_id)
    items = await contact_reads.client_contacts(
        stores, principal.tenant_id, client_id, limit=limit, after=decode_page_cursor(cursor)
    )
    return ContactPage(items=items, next_cursor=next_page_cursor(items, limit))


@router.get(
    "/contacts/{contact_id}",
    response_model=ContactSnapshot,
    summary="Get a contact",
    responses={404: {"description": "No such contact in your agency"}},
)
async def get_contact(
    contact_id: UUID,
    principal: Annotated[Principal, allow("clients:read")],
    stores: StoresDep,
    response: Response,
) -> ContactSnapshot:
    contact = await contact_reads.get_contact(stores, principal.tenant_id, contact_id)
    response.headers["ETag"] = etag_for(contact.version)
    return contact


@router.patch(
    "/contacts/{contact_id}",
    response_model=ContactSnapshot,
    summary="Change a contact",
    description="A JSON merge patch; `If-Match` refuses the change (412) if it moved on.",
    responses={**WRITE_RESPONSES, 412: {"description": "`If-Match` names an older version"}},
)
async def update_contact(
    contact_id: UUID,
    body: ContactPatch,
    principal: Annotated[Principal, allow("clients:write")],
    bus: BusDep,
    stores: StoresDep,
    if_match: IfMatchHeader = None,
    prefer: PreferHeader = None,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    # Keyed by the client, like every command about it, so they apply in order.
    contact = await contact_reads.get_contact(stores, principal.tenant_id, contact_id)
    changes = body.changes()
    return await write(
        bus,
        principal,
        topic=CLIENT_COMMANDS,
        type=CONTACT_UPDATE,
        key=contact.client_id,
        payload={
            "contact_id": str(contact_id),
            "client_id": str(contact.client_id),
            "changes": changes,
        },
        fingerprint=[str(contact_id), changes, if_match],
        prefer=prefer,
        idempotency=idempotency_key,
        expected_version=expected_version(if_match),
        load=contact_reads.contact_loader(stores, principal.tenant_id),
    )
