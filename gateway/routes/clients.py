"""Client companies and their contacts (CRM): writes are commands, reads come from Postgres."""

from __future__ import annotations

import uuid
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from gateway import examples
from gateway.audit_trail import record_list, record_read
from gateway.auth import Principal
from gateway.deps import (
    BusDep,
    IdempotencyHeader,
    IfMatchHeader,
    PreferHeader,
    StoresDep,
    allow,
)
from gateway.error_responses import problems
from gateway.openapi import changed, created, found
from gateway.pagination import ListParams
from gateway.queries import contacts as contact_reads
from gateway.queries.rows import get_one, page
from gateway.responses import (
    etag_for,
    expected_version,
    no_content_response,
    wants_async,
)
from gateway.writes import row_loader, write
from stores.postgres.clients import CLIENTS
from topics.clients import (
    CLIENT_CREATE,
    CLIENT_UPDATE,
    CONTACT_CREATE,
    CONTACT_ERASE,
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
    responses={
        201: created(
            examples.CLIENT_SNAPSHOT,
            "client_id",
            "get_client",
            "update_client",
            "create_contact",
            "list_contacts",
        )
    },
)
async def create_client(
    body: Annotated[
        ClientFields, Body(openapi_examples=examples.examples("A client", examples.CLIENT_FIELDS))
    ],
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
    description="Newest first unless `sort` says otherwise; filter by `status`; pass "
    "`next_cursor` back as `cursor` (or follow `Link`).",
)
async def list_clients(
    principal: Annotated[Principal, allow("clients:read")],
    stores: StoresDep,
    listing: ListParams,
    status: ClientStatus | None = None,
) -> ClientPage:
    found = await page(
        stores, CLIENTS, ClientSnapshot, principal.tenant_id, listing.window, status=status
    )
    return ClientPage(items=found.items, next_cursor=listing.next_cursor(found.next_after))


@router.get(
    "/clients/{client_id}",
    response_model=ClientSnapshot,
    summary="Get a client",
    responses={
        200: found(examples.CLIENT_SNAPSHOT, etag=True),
        **problems({404: "No such client in your agency"}),
    },
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
    responses={
        200: changed(examples.CLIENT_SNAPSHOT),
        **problems({404: "No such client in your agency"}),
    },
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
    responses={
        201: created(examples.CONTACT_SNAPSHOT, "contact_id", "get_contact", "update_contact"),
        **problems(
            {
                404: "No such client in your agency",
                422: "Invalid fields, or an email or phone that is not one",
            }
        ),
    },
)
async def create_contact(
    client_id: UUID,
    body: Annotated[
        ContactFields,
        Body(openapi_examples=examples.examples("A hiring manager", examples.CONTACT_FIELDS)),
    ],
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
    description="Newest first unless `sort` says otherwise. The ids answered are recorded "
    "in the audit log (`list`).",
    responses=problems({404: "No such client in your agency"}),
)
async def list_contacts(
    client_id: UUID,
    principal: Annotated[Principal, allow("clients:read")],
    stores: StoresDep,
    listing: ListParams,
) -> ContactPage:
    await get_one(stores, CLIENTS, ClientSnapshot, principal.tenant_id, client_id)
    found = await contact_reads.client_contacts(
        stores, principal.tenant_id, client_id, listing.window
    )
    items = found.items
    await record_list(
        stores,
        principal,
        "contact",
        [c.id for c in items],
        view="contacts",
        about=("client", client_id),
    )
    return ContactPage(items=items, next_cursor=listing.next_cursor(found.next_after))


@router.get(
    "/contacts/{contact_id}",
    response_model=ContactSnapshot,
    summary="Get a contact",
    description="The contact. The read is recorded in the audit log (`read`).",
    responses={
        200: found(examples.CONTACT_SNAPSHOT, etag=True),
        **problems({404: "No such contact in your agency"}),
    },
)
async def get_contact(
    contact_id: UUID,
    principal: Annotated[Principal, allow("clients:read")],
    stores: StoresDep,
    response: Response,
) -> ContactSnapshot:
    contact = await contact_reads.get_contact(stores, principal.tenant_id, contact_id)
    await record_read(
        stores, principal, "contact", contact_id, view="contact", related=[contact.client_id]
    )
    response.headers["ETag"] = etag_for(contact.version)
    return contact


@router.patch(
    "/contacts/{contact_id}",
    response_model=ContactSnapshot,
    summary="Change a contact",
    description="A JSON merge patch; `If-Match` refuses the change (412) if it moved on.",
    responses={
        200: changed(examples.CONTACT_SNAPSHOT),
        **problems(
            {
                404: "No such contact in your agency",
                422: "Invalid fields, a required field set to null, or an email or phone "
                "that is not one",
            }
        ),
    },
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


@router.delete(
    "/contacts/{contact_id}",
    status_code=204,
    summary="Erase a contact (GDPR)",
    description=(
        "A client's contact asked to be forgotten: their record and the notes on them go, "
        "and so does their key, so every copy of their data in a topic or a backup stops "
        "opening. Requisitions they were the contact for stay, without the link. Admins, "
        "recruiters and account managers (`contacts:erase`)."
    ),
    responses=problems(
        {403: "Your role may not erase contacts", 404: "No such contact in your agency"}
    ),
)
async def erase_contact(
    contact_id: UUID,
    principal: Annotated[Principal, allow("contacts:erase")],
    bus: BusDep,
    stores: StoresDep,
    prefer: PreferHeader = None,
    idempotency_key: IdempotencyHeader = None,
) -> Response:
    # Keyed by the client, like every command about its contacts, so they apply in order.
    contact = await contact_reads.get_contact(stores, principal.tenant_id, contact_id)
    outcome = await bus.submit(
        principal,
        topic=CLIENT_COMMANDS,
        type=CONTACT_ERASE,
        key=contact.client_id,
        payload={"contact_id": str(contact_id), "client_id": str(contact.client_id)},
        fingerprint=[str(contact_id)],
        wait=not wants_async(prefer),
        idempotency=idempotency_key,
    )
    return no_content_response(outcome)
