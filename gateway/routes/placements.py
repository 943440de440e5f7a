"""Placements: the candidates placed, their economics, and how each ends."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
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
from gateway.openapi import changed, found
from gateway.pagination import ListParams
from gateway.queries.rows import get_one, page
from gateway.responses import etag_for, expected_version
from gateway.writes import row_loader, write
from stores.postgres.pipeline import PLACEMENTS
from topics.names import PIPELINE_COMMANDS
from topics.pipeline import (
    PLACEMENT_UPDATE,
    PlacementPatch,
    PlacementSnapshot,
    PlacementStatus,
)

router = APIRouter(tags=["pipeline"])


class PlacementPage(BaseModel):
    items: list[PlacementSnapshot]
    next_cursor: str | None


@router.get(
    "/placements",
    response_model=PlacementPage,
    summary="List placements",
    description="Newest first unless `sort` says otherwise; filter by `candidate_id`, "
    "`requisition_id`, `client_id`, `status`.",
)
async def list_placements(
    principal: Annotated[Principal, allow("pipeline:read")],
    stores: StoresDep,
    listing: ListParams,
    candidate_id: UUID | None = None,
    requisition_id: UUID | None = None,
    client_id: UUID | None = None,
    status: Annotated[PlacementStatus | None, Query()] = None,
) -> PlacementPage:
    found = await page(
        stores,
        PLACEMENTS,
        PlacementSnapshot,
        principal.tenant_id,
        listing.window,
        candidate_id=candidate_id,
        requisition_id=requisition_id,
        client_id=client_id,
        status=status,
    )
    return PlacementPage(items=found.items, next_cursor=listing.next_cursor(found.next_after))


@router.get(
    "/placements/{placement_id}",
    response_model=PlacementSnapshot,
    summary="Get a placement",
    description="Economics are decimals: margin = bill - pay, markup = margin / pay, "
    "margin_percent = margin / bill (fractions), or fee = salary * fee_percent.",
    responses={
        200: found(examples.PLACEMENT_SNAPSHOT, etag=True),
        **problems({404: "No such placement in your agency"}),
    },
)
async def get_placement(
    placement_id: UUID,
    principal: Annotated[Principal, allow("pipeline:read")],
    stores: StoresDep,
    response: Response,
) -> PlacementSnapshot:
    found = await get_one(stores, PLACEMENTS, PlacementSnapshot, principal.tenant_id, placement_id)
    response.headers["ETag"] = etag_for(found.version)
    return found


@router.patch(
    "/placements/{placement_id}",
    response_model=PlacementSnapshot,
    summary="End a placement, or correct its dates",
    description=(
        "A JSON merge patch of `status`, `end_date` and `end_reason`. An active placement "
        "may become `completed` or `terminated`; both are final (reopen the submission to "
        "place the candidate again). Ending without an `end_date` ends it today. When a "
        "placed candidate has no other active placement they become `active` again. "
        "Economics are fixed at placement."
    ),
    responses={
        200: changed(examples.PLACEMENT_SNAPSHOT),
        **problems(
            {
                404: "No such placement in your agency",
                409: "The placement has already ended",
                422: "An unknown field, `status` set to null, or an end before the start",
            }
        ),
    },
)
async def update_placement(
    placement_id: UUID,
    body: PlacementPatch,
    principal: Annotated[Principal, allow("pipeline:write")],
    bus: BusDep,
    stores: StoresDep,
    if_match: IfMatchHeader = None,
    prefer: PreferHeader = None,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    current = await get_one(
        stores, PLACEMENTS, PlacementSnapshot, principal.tenant_id, placement_id
    )
    changes = body.changes()
    # Keyed by the submission so the patch is ordered with the submission's own moves
    # (a reopen ends the placement too).
    return await write(
        bus,
        principal,
        topic=PIPELINE_COMMANDS,
        type=PLACEMENT_UPDATE,
        key=current.submission_id,
        payload={
            "placement_id": str(placement_id),
            "submission_id": str(current.submission_id),
            "changes": changes,
        },
        fingerprint=[str(placement_id), changes, if_match],
        prefer=prefer,
        idempotency=idempotency_key,
        expected_version=expected_version(if_match),
        load=row_loader(stores, PLACEMENTS, PlacementSnapshot, principal.tenant_id),
    )
