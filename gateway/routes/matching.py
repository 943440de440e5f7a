"""Matching: the agency's candidates ranked for a requisition, and the reverse."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from gateway.audit_trail import record_list, record_read
from gateway.auth import Principal
from gateway.deps import StoresDep, allow
from gateway.error_responses import problems
from gateway.queries.matching import candidates_for, requisitions_for

router = APIRouter(tags=["matching"])

REASONS = (
    "Scored in two steps: deal-breakers first (a required skill missing, an onsite or "
    "hybrid role beyond a commute for someone who will not relocate, a role sponsoring no "
    "visa for someone who needs one, a rate far over the bill rate), which put a candidate "
    "below everyone without one; then the soft signals. `reasons` lists the matched and "
    "missing required skills (any written form counts: k8s is Kubernetes, Python 3 is "
    "Python), `skills_found` with where each was found (skills, headline, work_history, "
    "resume), the `deal_breakers`, matched nice-to-have skills, the title words the "
    'headline shares, the location (`distance_km`, "42 km from Munich"), availability, '
    "the rate gap, and each soft part's score."
)


class CandidateMatch(BaseModel):
    id: UUID = Field(description="The candidate")
    score: float = Field(description="0 to 1")
    first_name: str
    last_name: str
    headline: str | None = None
    reasons: dict[str, Any]
    in_pipeline: bool = Field(description="Already submitted to this requisition")
    submission_id: UUID | None = None


class CandidateMatches(BaseModel):
    items: list[CandidateMatch]
    next_cursor: str | None = None


class RequisitionMatch(BaseModel):
    id: UUID = Field(description="The requisition")
    score: float
    title: str
    client_id: UUID
    reasons: dict[str, Any]
    in_pipeline: bool = Field(description="The candidate is already submitted to it")
    submission_id: UUID | None = None


class RequisitionMatches(BaseModel):
    items: list[RequisitionMatch]
    next_cursor: str | None = None


@router.get(
    "/requisitions/{requisition_id}/matches",
    response_model=CandidateMatches,
    summary="Rank the agency's candidates for a requisition",
    description=(
        "Candidates with any of the requisition's skills (in their skills, headline, work "
        "history or resume), scored on required and nice-to-have skills (with years), "
        "title, location, availability and rate. "
        f"{REASONS} Candidates already in the requisition's pipeline are marked, not hidden. "
        "The candidates answered are recorded in the audit log (`list`, view `matches`)."
    ),
    responses=problems({404: "No such requisition in your agency"}),
)
async def match_candidates(
    requisition_id: UUID,
    principal: Annotated[Principal, allow("search:read")],
    stores: StoresDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> CandidateMatches:
    _, ranked = await candidates_for(stores, principal.tenant_id, requisition_id)
    items = [
        CandidateMatch(
            id=UUID(doc["id"]),
            score=match.score,
            first_name=doc["first_name"],
            last_name=doc["last_name"],
            headline=doc.get("headline"),
            reasons=match.reasons,
            in_pipeline=submission_id is not None,
            submission_id=submission_id,
        )
        for doc, match, submission_id in ranked[:limit]
    ]
    await record_list(
        stores,
        principal,
        "candidate",
        [m.id for m in items],
        view="matches",
        about=("requisition", requisition_id),
    )
    return CandidateMatches(items=items)


@router.get(
    "/candidates/{candidate_id}/matches",
    response_model=RequisitionMatches,
    summary="Rank the agency's open requisitions for a candidate",
    description=(
        f"Open requisitions scored as for requisition matches. {REASONS} The read of the "
        "candidate is recorded in the audit log (`read`, view `matches`)."
    ),
    responses=problems({404: "No such candidate in your agency"}),
)
async def match_requisitions(
    candidate_id: UUID,
    principal: Annotated[Principal, allow("search:read")],
    stores: StoresDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> RequisitionMatches:
    ranked = await requisitions_for(stores, principal.tenant_id, candidate_id)
    # The candidate's profile was read to rank them.
    await record_read(stores, principal, "candidate", candidate_id, view="matches")
    return RequisitionMatches(
        items=[
            RequisitionMatch(
                id=requisition.id,
                score=match.score,
                title=requisition.title,
                client_id=requisition.client_id,
                reasons=match.reasons,
                in_pipeline=submission_id is not None,
                submission_id=submission_id,
            )
            for requisition, match, submission_id in ranked[:limit]
        ]
    )
