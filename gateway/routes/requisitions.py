"""Requisitions (job orders): writes are commands, reads come from Postgres."""

from __future__ import annotations

import uuid
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from gateway import examples
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
from gateway.queries.rows import get_one, page
from gateway.responses import etag_for, expected_version
from gateway.writes import row_loader, write
from stores.postgres.requisitions import REQUISITIONS
from topics.names import REQUISITION_COMMANDS
from topics.requisitions import (
    REQUISITION_CREATE,
    REQUISITION_SET_STATUS,
    REQUISITION_UPDATE,
    Priority,
    RequisitionFields,
    RequisitionPatch,
    RequisitionSnapshot,
    RequisitionStatus,
    StatusChange,
)

router = APIRouter(prefix="/requisitions", tags=["requisitions"])


class RequisitionPage(BaseModel):
    items: list[RequisitionSnapshot]
    next_cursor: str | None


@router.post(
    "",
    status_code=201,
    response_model=RequisitionSnapshot,
    summary="Open a requisition",
    description=(
        "A job order of one of your clients; it opens with status `open`. The hiring "
        "`contact_id`, if given, must be a contact of that client. Rates are per hour "
        "(`bill_rate`) or per year (`salary`); `fee_percent` is a fraction (0.2 = 20 %)."
    ),
    responses={
        201: created(
            examples.REQUISITION_SNAPSHOT,
            "requisition_id",
            "get_requisition",
            "update_requisition",
            "set_requisition_status",
            "match_candidates",
        ),
        **problems(
            {
                404: "No such client in your agency",
                422: "Invalid fields, or a `contact_id` that is not a contact of the client",
            }
        ),
    },
)
async def create_requisition(
    body: Annotated[
        RequisitionFields,
        Body(openapi_examples=examples.examples("A contract role", examples.REQUISITION_FIELDS)),
    ],
    principal: Annotated[Principal, allow("requisitions:write")],
    bus: BusDep,
    stores: StoresDep,
    prefer: PreferHeader = None,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    requisition_id = uuid.uuid4()
    fields = body.model_dump(mode="json")
    return await write(
        bus,
        principal,
        topic=REQUISITION_COMMANDS,
        type=REQUISITION_CREATE,
        key=requisition_id,
        payload={**fields, "requisition_id": str(requisition_id)},
        fingerprint=fields,
        prefer=prefer,
        idempotency=idempotency_key,
        load=row_loader(stores, REQUISITIONS, RequisitionSnapshot, principal.tenant_id),
        created_location="/api/v1/requisitions",
    )


@router.get(
    "",
    response_model=RequisitionPage,
    summary="List requisitions",
    description="Newest first unless `sort` says otherwise; filter by `status`, "
    "`client_id`, `priority`.",
)
async def list_requisitions(
    principal: Annotated[Principal, allow("requisitions:read")],
    stores: StoresDep,
    listing: ListParams,
    status: RequisitionStatus | None = None,
    client_id: UUID | None = None,
    priority: Priority | None = None,
) -> RequisitionPage:
    found = await page(
        stores,
        REQUISITIONS,
        RequisitionSnapshot,
        principal.tenant_id,
        listing.window,
        status=status,
        client_id=client_id,
        priority=priority,
    )
    return RequisitionPage(items=found.items, next_cursor=listing.next_cursor(found.next_after))


@router.get(
    "/{requisition_id}",
    response_model=RequisitionSnapshot,
    summary="Get a requisition",
    responses={
        200: found(examples.REQUISITION_SNAPSHOT, etag=True),
        **problems({404: "No such requisition in your agency"}),
    },
)
async def get_requisition(
    requisition_id: UUID,
    principal: Annotated[Principal, allow("requisitions:read")],
    stores: StoresDep,
    response: Response,
) -> RequisitionSnapshot:
    found = await get_one(
        stores, REQUISITIONS, RequisitionSnapshot, principal.tenant_id, requisition_id
    )
    response.headers["ETag"] = etag_for(found.version)
    return found


@router.patch(
    "/{requisition_id}",
    response_model=RequisitionSnapshot,
    summary="Change a requisition",
    description="A JSON merge patch (status has its own route); `If-Match` guards it.",
    responses={
        200: changed(examples.REQUISITION_SNAPSHOT),
        **problems(
            {
                404: "No such requisition in your agency",
                422: "Invalid fields, a required field set to null, or a `contact_id` that "
                "is not a contact of the client",
            }
        ),
    },
)
async def update_requisition(
    requisition_id: UUID,
    body: RequisitionPatch,
    principal: Annotated[Principal, allow("requisitions:write")],
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
        topic=REQUISITION_COMMANDS,
        type=REQUISITION_UPDATE,
        key=requisition_id,
        payload={"requisition_id": str(requisition_id), "changes": changes},
        fingerprint=[str(requisition_id), changes, if_match],
        prefer=prefer,
        idempotency=idempotency_key,
        expected_version=expected_version(if_match),
        load=row_loader(stores, REQUISITIONS, RequisitionSnapshot, principal.tenant_id),
    )


@router.post(
    "/{requisition_id}/status",
    response_model=RequisitionSnapshot,
    summary="Change a requisition's status",
    description=(
        "`open`, `on_hold`, `filled`, `closed` or `cancelled`; `on_hold`, `closed` and "
        "`cancelled` need a `reason`. Setting the status it already has answers 409."
    ),
    responses={
        200: changed(examples.REQUISITION_SNAPSHOT),
        **problems(
            {
                404: "No such requisition in your agency",
                409: "The requisition already has this status",
            }
        ),
    },
)
async def set_requisition_status(
    requisition_id: UUID,
    body: StatusChange,
    principal: Annotated[Principal, allow("requisitions:write")],
    bus: BusDep,
    stores: StoresDep,
    if_match: IfMatchHeader = None,
    prefer: PreferHeader = None,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    fields = body.model_dump(mode="json")
    return await write(
        bus,
        principal,
        topic=REQUISITION_COMMANDS,
        type=REQUISITION_SET_STATUS,
        key=requisition_id,
        payload={**fields, "requisition_id": str(requisition_id)},
        fingerprint=[str(requisition_id), fields, if_match],
        prefer=prefer,
        idempotency=idempotency_key,
        expected_version=expected_version(if_match),
        load=row_loader(stores, REQUISITIONS, RequisitionSnapshot, principal.tenant_id),
    )
