"""Saved searches: a recruiter's candidate search kept, with alerts on new matches."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from core.errors import NotFound
from gateway import examples
from gateway.auth import Principal
from gateway.deps import (
    BusDep,
    IdempotencyHeader,
    PreferHeader,
    StoresDep,
    allow,
)
from gateway.error_responses import problems
from gateway.openapi import created, found
from gateway.pagination import ListParams
from gateway.query_text import parsed_query
from gateway.responses import no_content_response, wants_async
from gateway.writes import write
from stores.bundle import Stores
from stores.postgres import saved_searches as saved
from stores.search.query_dsl import FIELDS
from topics.envelopes import Actor
from topics.names import SEARCH_COMMANDS
from topics.saved_searches import (
    SAVED_SEARCH_CREATE,
    SAVED_SEARCH_DELETE,
    SavedSearchFields,
    SavedSearchSnapshot,
)

router = APIRouter(tags=["saved searches"])


class SavedSearchList(BaseModel):
    items: list[SavedSearchSnapshot]
    next_cursor: str | None


class Alert(BaseModel):
    saved_search_id: UUID
    candidate_id: UUID
    matched_at: datetime


class AlertList(BaseModel):
    items: list[Alert]
    next_cursor: str | None


def _owner(principal: Principal) -> str:
    return Actor(id=str(principal.id), kind=principal.kind).label


async def _mine(stores: Stores, principal: Principal, saved_search_id: UUID) -> SavedSearchSnapshot:
    async with stores.db.read() as conn:
        row = await saved.get_own(conn, principal.tenant_id, saved_search_id, _owner(principal))
    if row is None:
        raise NotFound(f"no saved search {saved_search_id} of yours")
    return SavedSearchSnapshot.model_validate(row)


@router.post(
    "/saved-searches",
    status_code=201,
    response_model=SavedSearchSnapshot,
    summary="Save a candidate search",
    description=(
        "`q` and `filters` as for `GET /search/candidates`. With `alerts` (the default), "
        "every new or changed candidate that newly matches raises a `saved_search.matched` "
        "event and an entry in `GET /saved-searches/{id}/matches`."
    ),
    responses={
        201: created(
            examples.SAVED_SEARCH_SNAPSHOT,
            "saved_search_id",
            "get_saved_search",
            "list_alerts",
            "delete_saved_search",
        ),
        **problems(
            {
                400: "A malformed body, or a `q` that does not parse or is too large "
                "(`position` is where it breaks)"
            }
        ),
    },
)
async def create_saved_search(
    body: Annotated[
        SavedSearchFields,
        Body(
            openapi_examples=examples.examples("An alerting search", examples.SAVED_SEARCH_FIELDS)
        ),
    ],
    principal: Annotated[Principal, allow("saved_searches:write")],
    bus: BusDep,
    stores: StoresDep,
    prefer: PreferHeader = None,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    parsed_query(body.q, FIELDS)
    saved_search_id = uuid.uuid4()
    fields = body.model_dump(mode="json")

    async def load(resource_id: UUID) -> SavedSearchSnapshot:
        return await _mine(stores, principal, resource_id)

    return await write(
        bus,
        principal,
        topic=SEARCH_COMMANDS,
        type=SAVED_SEARCH_CREATE,
        key=saved_search_id,
        payload={**fields, "saved_search_id": str(saved_search_id)},
        fingerprint=fields,
        prefer=prefer,
        idempotency=idempotency_key,
        load=load,
        created_location="/api/v1/saved-searches",
    )


@router.get(
    "/saved-searches",
    response_model=SavedSearchList,
    summary="List your saved searches",
    description="Newest first unless `sort` says otherwise. Saved searches are their owner's.",
)
async def list_saved_searches(
    principal: Annotated[Principal, allow("search:read")], stores: StoresDep, listing: ListParams
) -> SavedSearchList:
    async with stores.db.read() as conn:
        found = await saved.list_own(conn, principal.tenant_id, _owner(principal), listing.window)
    return SavedSearchList(
        items=[SavedSearchSnapshot.model_validate(r) for r in found.rows],
        next_cursor=listing.next_cursor(found.next_after),
    )


@router.get(
    "/saved-searches/{saved_search_id}",
    response_model=SavedSearchSnapshot,
    summary="Get one of your saved searches",
    responses={
        200: found(examples.SAVED_SEARCH_SNAPSHOT),
        **problems({404: "No such saved search of yours"}),
    },
)
async def get_saved_search(
    saved_search_id: UUID, principal: Annotated[Principal, allow("search:read")], stores: StoresDep
) -> SavedSearchSnapshot:
    return await _mine(stores, principal, saved_search_id)


@router.get(
    "/saved-searches/{saved_search_id}/matches",
    response_model=AlertList,
    summary="Candidates that newly matched a saved search (its alerts)",
    description="Newest first unless `sort` says otherwise; one entry per candidate, however "
    "often it changes after. A match never changes: `created_at` and `updated_at` are both "
    "`matched_at`, and `ids` takes candidate ids.",
    responses=problems({404: "No such saved search of yours"}),
)
async def list_alerts(
    saved_search_id: UUID,
    principal: Annotated[Principal, allow("search:read")],
    stores: StoresDep,
    listing: ListParams,
) -> AlertList:
    await _mine(stores, principal, saved_search_id)
    async with stores.db.read() as conn:
        found = await saved.matches_of(conn, saved_search_id, listing.window)
    return AlertList(
        items=[Alert.model_validate(r) for r in found.rows],
        next_cursor=listing.next_cursor(found.next_after),
    )


@router.delete(
    "/saved-searches/{saved_search_id}",
    status_code=204,
    summary="Delete one of your saved searches",
    description="Its alerts stop and its matches are forgotten.",
    responses=problems({404: "No such saved search of yours"}),
)
async def delete_saved_search(
    saved_search_id: UUID,
    principal: Annotated[Principal, allow("saved_searches:write")],
    bus: BusDep,
    prefer: PreferHeader = None,
    idempotency_key: IdempotencyHeader = None,
) -> Response:
    outcome = await bus.submit(
        principal,
        topic=SEARCH_COMMANDS,
        type=SAVED_SEARCH_DELETE,
        key=saved_search_id,
        payload={"saved_search_id": str(saved_search_id)},
        fingerprint=[str(saved_search_id)],
        wait=not wants_async(prefer),
        idempotency=idempotency_key,
    )
    return no_content_response(outcome)
