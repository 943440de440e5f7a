"""Submissions: candidates in a requisition's pipeline, and their stage moves."""

from __future__ import annotations

import uuid
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from domain.pipeline import Stage
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
from stores.postgres.pipeline import SUBMISSIONS
from topics.names import PIPELINE_COMMANDS
from topics.pipeline import (
    SUBMISSION_CREATE,
    SUBMISSION_TRANSITION,
    SubmissionFields,
    SubmissionSnapshot,
    Transition,
)

router = APIRouter(tags=["pipeline"])


class SubmissionPage(BaseModel):
    items: list[SubmissionSnapshot]
    next_cursor: str | None


@router.post(
    "/submissions",
    status_code=201,
    response_model=SubmissionSnapshot,
    summary="Put a candidate in a requisition's pipeline",
    description=(
        "One submission per candidate and requisition (a second answers 409 with "
        "`duplicate_of`); the requisition must be open. It starts in `sourced`."
    ),
    responses={
        201: created(
            examples.SUBMISSION_SNAPSHOT,
            "submission_id",
            "get_submission",
            "transition_submission",
            "schedule_interview",
            "list_interviews",
        ),
        **problems(
            {
                404: "No such candidate or requisition in your agency",
                409: "Already in the pipeline (`duplicate_of`), or the requisition is not open",
            }
        ),
    },
)
async def create_submission(
    body: Annotated[
        SubmissionFields,
        Body(
            openapi_examples=examples.examples(
                "A candidate put forward", examples.SUBMISSION_FIELDS
            )
        ),
    ],
    principal: Annotated[Principal, allow("pipeline:write")],
    bus: BusDep,
    stores: StoresDep,
    prefer: PreferHeader = None,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    submission_id = uuid.uuid4()
    fields = body.model_dump(mode="json")
    return await write(
        bus,
        principal,
        topic=PIPELINE_COMMANDS,
        type=SUBMISSION_CREATE,
        key=submission_id,
        payload={**fields, "submission_id": str(submission_id)},
        fingerprint=fields,
        prefer=prefer,
        idempotency=idempotency_key,
        load=row_loader(stores, SUBMISSIONS, SubmissionSnapshot, principal.tenant_id),
        created_location="/api/v1/submissions",
    )


@router.get(
    "/submissions",
    response_model=SubmissionPage,
    summary="List submissions",
    description="Newest first unless `sort` says otherwise; filter by `candidate_id`, "
    "`requisition_id`, `stage`.",
)
async def list_submissions(
    principal: Annotated[Principal, allow("pipeline:read")],
    stores: StoresDep,
    listing: ListParams,
    candidate_id: UUID | None = None,
    requisition_id: UUID | None = None,
    stage: Stage | None = None,
) -> SubmissionPage:
    found = await page(
        stores,
        SUBMISSIONS,
        SubmissionSnapshot,
        principal.tenant_id,
        listing.window,
        candidate_id=candidate_id,
        requisition_id=requisition_id,
        stage=stage,
    )
    return SubmissionPage(items=found.items, next_cursor=listing.next_cursor(found.next_after))


@router.get(
    "/submissions/{submission_id}",
    response_model=SubmissionSnapshot,
    summary="Get a submission",
    description="Its current stage and stage history.",
    responses={
        200: found(examples.SUBMISSION_SNAPSHOT, etag=True),
        **problems({404: "No such submission in your agency"}),
    },
)
async def get_submission(
    submission_id: UUID,
    principal: Annotated[Principal, allow("pipeline:read")],
    stores: StoresDep,
    response: Response,
) -> SubmissionSnapshot:
    found = await get_one(
        stores, SUBMISSIONS, SubmissionSnapshot, principal.tenant_id, submission_id
    )
    response.headers["ETag"] = etag_for(found.version)
    return found


@router.post(
    "/submissions/{submission_id}/transitions",
    response_model=SubmissionSnapshot,
    summary="Move a submission to another stage",
    description=(
        "Forward moves may skip stages; any active stage may go to `rejected` (with "
        "`reason` and `rejected_by`) or `withdrawn`; `reopen` returns a closed submission "
        "to the stage it left. `placed` needs `start_date` and either `bill_rate`, "
        "`pay_rate` and `currency` (contract) or `salary` and `fee_percent` (permanent), "
        "and creates the placement. An illegal move answers 409 listing the legal ones."
    ),
    responses={
        200: changed(examples.SUBMISSION_SNAPSHOT),
        **problems(
            {
                404: "No such submission in your agency",
                409: "An illegal move; `legal` lists the moves allowed",
                422: "Missing or invalid stage data (a placement's economics, a rejection's "
                "reason)",
            }
        ),
    },
)
async def transition_submission(
    submission_id: UUID,
    body: Annotated[
        Transition,
        Body(
            openapi_examples={
                "screened": {"summary": "A forward move", "value": examples.TRANSITION},
                "placed": {
                    "summary": "A contract placement",
                    "value": examples.PLACEMENT_TRANSITION,
                },
            }
        ),
    ],
    principal: Annotated[Principal, allow("pipeline:write")],
    bus: BusDep,
    stores: StoresDep,
    if_match: IfMatchHeader = None,
    prefer: PreferHeader = None,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    fields = body.model_dump(mode="json", exclude_none=True)
    return await write(
        bus,
        principal,
        topic=PIPELINE_COMMANDS,
        type=SUBMISSION_TRANSITION,
        key=submission_id,
        payload={**fields, "submission_id": str(submission_id)},
        fingerprint=[str(submission_id), fields, if_match],
        prefer=prefer,
        idempotency=idempotency_key,
        expected_version=expected_version(if_match),
        load=row_loader(stores, SUBMISSIONS, SubmissionSnapshot, principal.tenant_id),
    )
