"""Candidates: create (a command), read and list (straight from the stores)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Body, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

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
from gateway.queries import candidates as queries
from gateway.queries.duplicates import find_duplicates
from gateway.responses import (
    etag_for,
    expected_version,
    no_content_response,
    outcome_response,
    wants_async,
)
from topics.candidates import (
    CANDIDATE_CREATE,
    CANDIDATE_ERASE,
    CANDIDATE_MERGE,
    CANDIDATE_UPDATE,
    CandidateFields,
    CandidatePatch,
    CandidateSnapshot,
)
from topics.names import CANDIDATE_COMMANDS

router = APIRouter(prefix="/candidates", tags=["candidates"])


class CandidatePage(BaseModel):
    items: list[CandidateSnapshot]
    next_cursor: str | None


@router.post(
    "",
    status_code=201,
    response_model=CandidateSnapshot,
    summary="Create a candidate",
    description=(
        "Publishes `candidate.create` to `rt.candidates.commands` and waits for the "
        "candidates agent. Emails are stored lower-cased and phones in E.164; a candidate "
        "of the same agency with the same email or phone answers 409 with `duplicate_of`."
    ),
    responses={
        201: created(
            examples.CANDIDATE_SNAPSHOT,
            "candidate_id",
            "get_candidate",
            "update_candidate",
            "erase_candidate",
            "candidate_duplicates",
            "candidate_timeline",
            "candidate_documents",
            "upload_document",
            "match_requisitions",
        ),
        **problems(
            {
                409: "A candidate of your agency has this email or phone: `duplicate_of` "
                "names them",
                422: "Invalid fields, or an email or phone that is not one",
            }
        ),
    },
)
async def create_candidate(
    body: Annotated[
        CandidateFields,
        Body(openapi_examples=examples.examples("A candidate", examples.CANDIDATE_FIELDS)),
    ],
    principal: Annotated[Principal, allow("candidates:write")],
    bus: BusDep,
    stores: StoresDep,
    prefer: PreferHeader = None,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    # Its key made ahead, when this gateway has one ready: the command is sealed at once.
    candidate_id = stores.ready.new_subject(principal.tenant_id, "candidate")
    fields = body.model_dump(mode="json")
    outcome = await bus.submit(
        principal,
        topic=CANDIDATE_COMMANDS,
        type=CANDIDATE_CREATE,
        key=candidate_id,
        payload={**fields, "candidate_id": str(candidate_id)},
        fingerprint=fields,
        wait=not wants_async(prefer),
        idempotency=idempotency_key,
    )

    async def load(resource_id: UUID) -> CandidateSnapshot:
        return await queries.get_candidate(stores, principal.tenant_id, resource_id)

    return await outcome_response(outcome, load, created_location="/api/v1/candidates")


@router.patch(
    "/{candidate_id}",
    response_model=CandidateSnapshot,
    summary="Change a candidate",
    description=(
        "A JSON merge patch: the fields you send replace the stored ones, `null` clears an "
        "optional field. Send `If-Match` with the `ETag` you read to refuse the change "
        "(412) if someone changed the candidate since. Emails and phones are normalised "
        "and checked for duplicates as on create."
    ),
    responses={
        200: changed(examples.CANDIDATE_SNAPSHOT),
        **problems(
            {
                404: "No such candidate in your agency",
                409: "An email or phone another candidate holds (`duplicate_of`)",
                422: "Invalid fields, a required field set to null, or an email or phone "
                "that is not one",
            }
        ),
    },
)
async def update_candidate(
    candidate_id: UUID,
    body: Annotated[
        CandidatePatch,
        Body(openapi_examples=examples.examples("New headline and tags", examples.CANDIDATE_PATCH)),
    ],
    principal: Annotated[Principal, allow("candidates:write")],
    bus: BusDep,
    stores: StoresDep,
    if_match: IfMatchHeader = None,
    prefer: PreferHeader = None,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    changes = body.changes()
    outcome = await bus.submit(
        principal,
        topic=CANDIDATE_COMMANDS,
        type=CANDIDATE_UPDATE,
        key=candidate_id,
        payload={"candidate_id": str(candidate_id), "changes": changes},
        fingerprint=[str(candidate_id), changes, if_match],
        wait=not wants_async(prefer),
        idempotency=idempotency_key,
        expected_version=expected_version(if_match),
    )

    async def load(resource_id: UUID) -> CandidateSnapshot:
        return await queries.get_candidate(stores, principal.tenant_id, resource_id)

    return await outcome_response(outcome, load)


@router.get(
    "",
    response_model=CandidatePage,
    summary="List candidates",
    description=(
        "Newest first unless `sort` says otherwise. Pass `next_cursor` back as `cursor` "
        "(or follow `Link`) for the next page. The ids answered are recorded in the audit "
        "log (`list`)."
    ),
)
async def list_candidates(
    principal: Annotated[Principal, allow("candidates:read")],
    stores: StoresDep,
    listing: ListParams,
    status: Annotated[Literal["active", "placed", "do_not_use"] | None, Query()] = None,
) -> CandidatePage:
    found = await queries.list_candidates(
        stores, principal.tenant_id, listing.window, status=status
    )
    await record_list(stores, principal, "candidate", [c.id for c in found.items], view="list")
    return CandidatePage(items=found.items, next_cursor=listing.next_cursor(found.next_after))


@router.get(
    "/{candidate_id}",
    response_model=CandidateSnapshot,
    summary="Get a candidate",
    description=(
        "The candidate with its profile. `ETag` carries the version for `If-Match`. The "
        "read is recorded in the audit log (`read`)."
    ),
    responses={
        200: found(examples.CANDIDATE_SNAPSHOT, etag=True),
        **problems({404: "No such candidate in your agency"}),
    },
)
async def get_candidate(
    candidate_id: UUID,
    principal: Annotated[Principal, allow("candidates:read")],
    stores: StoresDep,
    response: Response,
) -> CandidateSnapshot:
    candidate = await queries.get_candidate(stores, principal.tenant_id, candidate_id)
    await record_read(stores, principal, "candidate", candidate_id, view="profile")
    response.headers["ETag"] = etag_for(candidate.version)
    return candidate


@router.delete(
    "/{candidate_id}",
    status_code=204,
    summary="Erase a candidate (GDPR)",
    description=(
        "Removes the person from Postgres, MongoDB, the search index and the replay ledger, "
        "writes a tombstone to the compacted candidate events topic, and records who erased "
        "whom and when. Anonymous facts stay for analytics: submissions' stage history, "
        "interview dates and ratings, placements' economics. Admins and recruiters only."
    ),
    responses=problems({403: "Your role may not erase", 404: "No such candidate in your agency"}),
)
async def erase_candidate(
    candidate_id: UUID,
    principal: Annotated[Principal, allow("candidates:erase")],
    bus: BusDep,
    prefer: PreferHeader = None,
    idempotency_key: IdempotencyHeader = None,
) -> Response:
    outcome = await bus.submit(
        principal,
        topic=CANDIDATE_COMMANDS,
        type=CANDIDATE_ERASE,
        key=candidate_id,
        payload={"candidate_id": str(candidate_id)},
        fingerprint=[str(candidate_id)],
        wait=not wants_async(prefer),
        idempotency=idempotency_key,
    )
    return no_content_response(outcome)


class DuplicateMatch(BaseModel):
    id: UUID
    score: float = Field(ge=0, le=1)
    reasons: list[str]


class DuplicateList(BaseModel):
    items: list[DuplicateMatch]


@router.get(
    "/{candidate_id}/duplicates",
    response_model=DuplicateList,
    summary="Likely duplicates of a candidate",
    description=(
        "Candidates of your agency who are probably the same person, best first, each with "
        "a score (0-1) and the reasons: similar name, phone numbers that end alike, the same "
        "email name at another address, a shared company email domain or employer, the same "
        "city. Exact email or phone duplicates are refused at create."
    ),
    responses=problems({404: "No such candidate in your agency"}),
)
async def candidate_duplicates(
    candidate_id: UUID, principal: Annotated[Principal, allow("candidates:read")], stores: StoresDep
) -> DuplicateList:
    matches = await find_duplicates(stores, principal.tenant_id, candidate_id)
    await record_list(
        stores,
        principal,
        "candidate",
        [UUID(m.id) for m in matches],
        view="duplicates",
        about=("candidate", candidate_id),
    )
    return DuplicateList(
        items=[DuplicateMatch(id=UUID(m.id), score=m.score, reasons=m.reasons) for m in matches]
    )


class MergeRequest(BaseModel):
    duplicate_id: UUID


@router.post(
    "/{candidate_id}/merge",
    response_model=CandidateSnapshot,
    summary="Merge a duplicate into this candidate",
    description=(
        "Moves the duplicate's submissions (except to requisitions this candidate is already "
        "in), placements, notes, emails, phones, tags, skills and history here. The duplicate "
        "then answers with `merged_into` and leaves lists and search."
    ),
    responses={
        200: changed(examples.CANDIDATE_SNAPSHOT),
        **problems(
            {
                404: "Either candidate is not in your agency",
                409: "One of them was already merged",
                422: "Invalid fields, or a candidate merged into itself",
            }
        ),
    },
)
async def merge_candidate(
    candidate_id: UUID,
    body: MergeRequest,
    principal: Annotated[Principal, allow("candidates:merge")],
    bus: BusDep,
    stores: StoresDep,
    prefer: PreferHeader = None,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    payload = {"candidate_id": str(candidate_id), "duplicate_id": str(body.duplicate_id)}
    outcome = await bus.submit(
        principal,
        topic=CANDIDATE_COMMANDS,
        type=CANDIDATE_MERGE,
        key=candidate_id,
        payload=payload,
        fingerprint=payload,
        wait=not wants_async(prefer),
        idempotency=idempotency_key,
    )

    async def load(resource_id: UUID) -> CandidateSnapshot:
        return await queries.get_candidate(stores, principal.tenant_id, resource_id)

    return await outcome_response(outcome, load)
