"""The pipeline: submissions and their stage moves (commands), placements (reads)."""

from __future__ import annotations

import uuid
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import ColumnElement, select

from gateway.deps import (
    BusDep,
    CurrentPrincipal,
    IdempotencyHeader,
    IfMatchHeader,
    PreferHeader,
    StoresDep,
    Writer,
)
from gateway.pagination import decode_page_cursor, next_page_cursor
from gateway.queries.rows import get_one, page
from gateway.responses import (
    CommandAccepted,
    etag_for,
    expected_version,
)
from gateway.writes import row_loader, write
from stores.postgres.tables import feedback, interviews, placements, submissions
from domain.pipeline import Stage
from topics.names import PIPELINE_COMMANDS
from topics.pipeline import (
    FEEDBACK_SUBMIT,
    INTERVIEW_SCHEDULE,
    PLACEMENT_UPDATE,
    SUBMISSION_CREATE,
    SUBMISSION_TRANSITION,
    FeedbackFields,
    FeedbackSnapshot,
    InterviewFields,
    InterviewSnapshot,
    PlacementPatch,
    PlacementSnapshot,
    SubmissionFields,
    SubmissionSnapshot,
    Transition,
)

router = APIRouter(tags=["pipeline"])


class SubmissionPage(BaseModel):
    items: list[SubmissionSnapshot]
    next_cursor: str | None


class PlacementPage(BaseModel):
    items: list[PlacementSnapshot]
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
        202: {"model": CommandAccepted, "description": "Accepted; poll `status_url`"},
        404: {"description": "No such candidate or requisition in your agency"},
        409: {"description": "Already in the pipeline, or the requisition is not open"},
    },
)
async def create_submission(
    body: SubmissionFields,
    principal: Writer,
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
        load=row_loader(stores, submissions, SubmissionSnapshot, principal.tenant_id, "submission"),
        created_location="/api/v1/submissions",
    )


@router.get(
    "/submissions",
    response_model=SubmissionPage,
    summary="List submissions",
    description="Newest first; filter by `candidate_id`, `requisition_id`, `stage`.",
)
async def list_submissions(
    principal: CurrentPrincipal,
    stores: StoresDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    candidate_id: UUID | None = None,
    requisition_id: UUID | None = None,
    stage: Stage | None = None,
) -> SubmissionPage:
    filters: list[ColumnElement[bool]] = []
    if candidate_id:
        filters.append(submissions.c.candidate_id == candidate_id)
    if requisition_id:
        filters.append(submissions.c.requisition_id == requisition_id)
    if stage:
        filters.append(submissions.c.stage == stage)
    items = await page(
        stores,
        submissions,
        SubmissionSnapshot,
        principal.tenant_id,
        limit=limit,
        after=decode_page_cursor(cursor),
        filters=filters,
    )
    return SubmissionPage(items=items, next_cursor=next_page_cursor(items, limit))


@router.get(
    "/submissions/{submission_id}",
    response_model=SubmissionSnapshot,
    summary="Get a submission",
    description="Its current stage and stage history.",
    responses={404: {"description": "No such submission in your agency"}},
)
async def get_submission(
    submission_id: UUID, principal: CurrentPrincipal, stores: StoresDep, response: Response
) -> SubmissionSnapshot:
    found = await get_one(
        stores, submissions, SubmissionSnapshot, principal.tenant_id, submission_id, "submission"
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
        202: {"model": CommandAccepted, "description": "Accepted; poll `status_url`"},
        404: {"description": "No such submission in your agency"},
        409: {"description": "An illegal move; `legal` lists the moves allowed"},
        412: {"description": "`If-Match` names an older version"},
        422: {"description": "Missing or invalid stage data"},
    },
)
async def transition_submission(
    submission_id: UUID,
    body: Transition,
    principal: Writer,
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
        load=row_loader(stores, submissions, SubmissionSnapshot, principal.tenant_id, "submission"),
    )


@router.get(
    "/placements",
    response_model=PlacementPage,
    summary="List placements",
    description="Newest first; filter by `candidate_id`, `requisition_id`, `client_id`, `status`.",
)
async def list_placements(
    principal: CurrentPrincipal,
    stores: StoresDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    candidate_id: UUID | None = None,
    requisition_id: UUID | None = None,
    client_id: UUID | None = None,
    status: Annotated[str | None, Query(pattern="^(active|completed|terminated)$")] = None,
) -> PlacementPage:
    filters: list[ColumnElement[bool]] = []
    for column, value in (
        (placements.c.candidate_id, candidate_id),
        (placements.c.requisition_id, requisition_id),
        (placements.c.client_id, client_id),
        (placements.c.status, status),
    ):
        if value is not None:
            filters.append(column == value)
    items = await page(
        stores,
        placements,
        PlacementSnapshot,
        principal.tenant_id,
        limit=limit,
        after=decode_page_cursor(cursor),
        filters=filters,
    )
    return PlacementPage(items=items, next_cursor=next_page_cursor(items, limit))


@router.get(
    "/placements/{placement_id}",
    response_model=PlacementSnapshot,
    summary="Get a placement",
    description="Economics are decimals: margin = bill - pay, markup = margin / pay, "
    "margin_percent = margin / bill (fractions), or fee = salary * fee_percent.",
    responses={404: {"description": "No such placement in your agency"}},
)
async def get_placement(
    placement_id: UUID, principal: CurrentPrincipal, stores: StoresDep, response: Response
) -> PlacementSnapshot:
    found = await get_one(
        stores, placements, PlacementSnapshot, principal.tenant_id, placement_id, "placement"
    )
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
        202: {"model": CommandAccepted, "description": "Accepted; poll `status_url`"},
        404: {"description": "No such placement in your agency"},
        409: {"description": "The placement has already ended"},
        412: {"description": "`If-Match` names an older version"},
        422: {"description": "An unknown field, or an end before the start"},
    },
)
async def update_placement(
    placement_id: UUID,
    body: PlacementPatch,
    principal: Writer,
    bus: BusDep,
    stores: StoresDep,
    if_match: IfMatchHeader = None,
    prefer: PreferHeader = None,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    current = await get_one(
        stores, placements, PlacementSnapshot, principal.tenant_id, placement_id, "placement"
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
        load=row_loader(stores, placements, PlacementSnapshot, principal.tenant_id, "placement"),
    )


class InterviewList(BaseModel):
    items: list[InterviewSnapshot]


class FeedbackList(BaseModel):
    items: list[FeedbackSnapshot]


@router.post(
    "/submissions/{submission_id}/interviews",
    status_code=201,
    response_model=InterviewSnapshot,
    summary="Schedule an interview",
    description="For a submission that is not closed (placed, rejected or withdrawn).",
    responses={
        202: {"model": CommandAccepted, "description": "Accepted; poll `status_url`"},
        404: {"description": "No such submission in your agency"},
        409: {"description": "The submission is closed"},
    },
)
async def schedule_interview(
    submission_id: UUID,
    body: InterviewFields,
    principal: Writer,
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
        load=row_loader(stores, interviews, InterviewSnapshot, principal.tenant_id, "interview"),
        created_location="/api/v1/interviews",
    )


@router.get(
    "/submissions/{submission_id}/interviews",
    response_model=InterviewList,
    summary="A submission's interviews",
    description="In the order they are scheduled.",
    responses={404: {"description": "No such submission in your agency"}},
)
async def list_interviews(
    submission_id: UUID, principal: CurrentPrincipal, stores: StoresDep
) -> InterviewList:
    await get_one(
        stores, submissions, SubmissionSnapshot, principal.tenant_id, submission_id, "submission"
    )
    async with stores.db.read() as conn:
        found = (
            (
                await conn.execute(
                    select(interviews)
                    .where(
                        interviews.c.tenant_id == principal.tenant_id,
                        interviews.c.submission_id == submission_id,
                    )
                    .order_by(interviews.c.scheduled_at)
                )
            )
            .mappings()
            .all()
        )
    return InterviewList(items=[InterviewSnapshot.model_validate(r) for r in found])


@router.post(
    "/interviews/{interview_id}/feedback",
    status_code=201,
    response_model=FeedbackSnapshot,
    summary="Record an interview's scorecard",
    description="`rating` 1-5 and a `recommendation` from strong_no to strong_yes.",
    responses={
        202: {"model": CommandAccepted, "description": "Accepted; poll `status_url`"},
        404: {"description": "No such interview in your agency"},
    },
)
async def submit_feedback(
    interview_id: UUID,
    body: FeedbackFields,
    principal: Writer,
    bus: BusDep,
    stores: StoresDep,
    prefer: PreferHeader = None,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    # Keyed by the submission, like every command about it.
    interview = await get_one(
        stores, interviews, InterviewSnapshot, principal.tenant_id, interview_id, "interview"
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
        load=row_loader(stores, feedback, FeedbackSnapshot, principal.tenant_id, "feedback"),
        created_location=f"/api/v1/interviews/{interview_id}/feedback",
    )


@router.get(
    "/interviews/{interview_id}/feedback",
    response_model=FeedbackList,
    summary="An interview's scorecards",
    responses={404: {"description": "No such interview in your agency"}},
)
async def list_feedback(
    interview_id: UUID, principal: CurrentPrincipal, stores: StoresDep
) -> FeedbackList:
    await get_one(
        stores, interviews, InterviewSnapshot, principal.tenant_id, interview_id, "interview"
    )
    async with stores.db.read() as conn:
        found = (
            (
                await conn.execute(
                    select(feedback)
                    .where(
                        feedback.c.tenant_id == principal.tenant_id,
                        feedback.c.interview_id == interview_id,
                    )
                    .order_by(feedback.c.created_at)
                )
            )
            .mappings()
            .all()
        )
    return FeedbackList(items=[FeedbackSnapshot.model_validate(r) for r in found])
