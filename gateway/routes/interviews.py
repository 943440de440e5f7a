"""Interviews of a submission, and their scorecards."""

from __future__ import annotations

import uuid
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse
from pydantic import BaseModel

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
from gateway.openapi import created
from gateway.pagination import ListParams
from gateway.queries.rows import get_one, page
from gateway.writes import row_loader, write
from stores.postgres.pipeline import FEEDBACK, INTERVIEWS, SUBMISSIONS
from topics.names import PIPELINE_COMMANDS
from topics.pipeline import (
    FEEDBACK_SUBMIT,
    INTERVIEW_SCHEDULE,
    FeedbackFields,
    FeedbackSnapshot,
    InterviewFields,
    InterviewSnapshot,
    SubmissionSnapshot,
)

router = APIRouter(tags=["pipeline"])


class InterviewList(BaseModel):
    items: list[InterviewSnapshot]
    next_cursor: str | None


class FeedbackList(BaseModel):
    items: list[FeedbackSnapshot]
    next_cursor: str | None


@router.post(
    "/submissions/{submission_id}/interviews",
    status_code=201,
    response_model=InterviewSnapshot,
    summary="Schedule an interview",
    description="For a submission that is not closed (placed, rejected or withdrawn).",
    responses={
        201: created(
            examples.INTERVIEW_SNAPSHOT, "interview_id", "submit_feedback", "list_feedback"
        ),
        **problems({404: "No such submission in your agency", 409: "The submission is closed"}),
    },
)
async def schedule_interview(
    submission_id: UUID,
    body: Annotated[
        InterviewFields,
        Body(openapi_examples=examples.examples("A video call", examples.INTERVIEW_FIELDS)),
    ],
    principal: Annotated[Principal, allow("pipeline:write")],
    bus: BusDep,
    stores: StoresDep,
    prefer: PreferHeader = None,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    interview_id = uuid.uuid4()
    fields = body.model_dump(mode="json")
    return await write(
        bus,
        principal,
        topic=PIPELINE_COMMANDS,
        type=INTERVIEW_SCHEDULE,
        key=submission_id,
        payload={**fields, "interview_id": str(interview_id), "submission_id": str(submission_id)},
        fingerprint=[str(submission_id), fields],
        prefer=prefer,
        idempotency=idempotency_key,
        load=row_loader(stores, INTERVIEWS, InterviewSnapshot, principal.tenant_id),
        created_location="/api/v1/interviews",
    )


@router.get(
    "/submissions/{submission_id}/interviews",
    response_model=InterviewList,
    summary="A submission's interviews",
    description="In the order they take place (`scheduled_at`) unless `sort` says otherwise.",
    responses=problems({404: "No such submission in your agency"}),
)
async def list_interviews(
    submission_id: UUID,
    principal: Annotated[Principal, allow("pipeline:read")],
    stores: StoresDep,
    listing: ListParams,
) -> InterviewList:
    await get_one(stores, SUBMISSIONS, SubmissionSnapshot, principal.tenant_id, submission_id)
    found = await page(
        stores,
        INTERVIEWS,
        InterviewSnapshot,
        principal.tenant_id,
        listing.window,
        submission_id=submission_id,
    )
    return InterviewList(items=found.items, next_cursor=listing.next_cursor(found.next_after))


@router.post(
    "/interviews/{interview_id}/feedback",
    status_code=201,
    response_model=FeedbackSnapshot,
    summary="Record an interview's scorecard",
    description="`rating` 1-5 and a `recommendation` from strong_no to strong_yes.",
    responses={
        201: {
            "description": "Created: the scorecard as stored",
            "content": {"application/json": {"example": examples.FEEDBACK_SNAPSHOT}},
        },
        **problems({404: "No such interview in your agency"}),
    },
)
async def submit_feedback(
    interview_id: UUID,
    body: Annotated[
        FeedbackFields,
        Body(openapi_examples=examples.examples("A scorecard", examples.FEEDBACK_FIELDS)),
    ],
    principal: Annotated[Principal, allow("pipeline:write")],
    bus: BusDep,
    stores: StoresDep,
    prefer: PreferHeader = None,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    # Keyed by the submission, like every command about it.
    interview = await get_one(
        stores, INTERVIEWS, InterviewSnapshot, principal.tenant_id, interview_id
    )
    feedback_id = uuid.uuid4()
    fields = body.model_dump(mode="json")
    return await write(
        bus,
        principal,
        topic=PIPELINE_COMMANDS,
        type=FEEDBACK_SUBMIT,
        key=interview.submission_id,
        payload={
            **fields,
            "feedback_id": str(feedback_id),
            "interview_id": str(interview_id),
            "submission_id": str(interview.submission_id),
        },
        fingerprint=[str(interview_id), fields],
        prefer=prefer,
        idempotency=idempotency_key,
        load=row_loader(stores, FEEDBACK, FeedbackSnapshot, principal.tenant_id),
        created_location=f"/api/v1/interviews/{interview_id}/feedback",
    )


@router.get(
    "/interviews/{interview_id}/feedback",
    response_model=FeedbackList,
    summary="An interview's scorecards",
    description="In the order they were given unless `sort` says otherwise.",
    responses=problems({404: "No such interview in your agency"}),
)
async def list_feedback(
    interview_id: UUID,
    principal: Annotated[Principal, allow("pipeline:read")],
    stores: StoresDep,
    listing: ListParams,
) -> FeedbackList:
    await get_one(stores, INTERVIEWS, InterviewSnapshot, principal.tenant_id, interview_id)
    found = await page(
        stores,
        FEEDBACK,
        FeedbackSnapshot,
        principal.tenant_id,
        listing.window,
        interview_id=interview_id,
    )
    return FeedbackList(items=found.items, next_cursor=listing.next_cursor(found.next_after))
