"""The pipeline: submissions of candidates to requisitions, their stage moves, placements.

Commands travel on the pipeline topics keyed by submission id.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from domain.pipeline import Stage
from domain.types import NOT_BLANK, CurrencyCode, Fraction, Money
from topics.records import Patch, Record

SUBMISSION_CREATE = "submission.create"
SUBMISSION_TRANSITION = "submission.transition"
SUBMISSION_CREATED = "submission.created"
SUBMISSION_STAGE_CHANGED = "submission.stage_changed"
PLACEMENT_CREATED = "placement.created"
PLACEMENT_UPDATE = "placement.update"
PLACEMENT_UPDATED = "placement.updated"

Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000), NOT_BLANK
]


class SubmissionFields(Record):
    candidate_id: UUID
    requisition_id: UUID
    source: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] | None = None


class SubmissionCreate(SubmissionFields):
    submission_id: UUID


def _present(*names: str) -> dict[str, Any]:
    """JSON Schema: these fields are sent, and not null."""
    return {"required": list(names), "properties": {n: {"not": {"type": "null"}} for n in names}}


def _when_to(stage: str, then: dict[str, Any]) -> dict[str, Any]:
    return {"if": {"properties": {"to": {"const": stage}}, "required": ["to"]}, "then": then}


class Transition(Record):
    """A stage move, with what the target stage needs."""

    # `_stage_data` below, as JSON Schema says it (but for `end_date` after `start_date`,
    # which it cannot compare).
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "allOf": [
                _when_to("rejected", _present("reason", "rejected_by")),
                _when_to(
                    "placed",
                    {
                        **_present("start_date"),
                        "oneOf": [
                            _present("bill_rate", "pay_rate", "currency"),
                            _present("salary", "fee_percent"),
                        ],
                    },
                ),
            ]
        },
    )

    to: Stage | Literal["reopen"]
    reason: Reason | None = None
    rejected_by: Literal["client", "agency"] | None = None
    start_date: date | None = None
    end_date: date | None = None
    bill_rate: Money | None = None
    pay_rate: Money | None = None
    currency: CurrencyCode | None = None
    salary: Money | None = None
    fee_percent: Fraction | None = None

    @model_validator(mode="after")
    def _stage_data(self) -> Transition:
        if self.to == "rejected" and not (self.reason and self.rejected_by):
            raise ValueError("a rejection needs a reason and rejected_by (client or agency)")
        if self.to == "placed":
            contract = None not in (self.bill_rate, self.pay_rate, self.currency)
            permanent = None not in (self.salary, self.fee_percent)
            if self.start_date is None or contract == permanent:
                raise ValueError(
                    "a placement needs start_date and either bill_rate, pay_rate and currency "
                    "(contract) or salary and fee_percent (permanent)"
                )
            if self.end_date is not None and self.end_date < self.start_date:
                raise ValueError("end_date is before start_date")
        return self


class SubmissionTransition(Transition):
    submission_id: UUID


class HistoryEntry(Record):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    from_stage: Stage | None = Field(alias="from")
    to: Stage
    at: datetime
    actor: str
    reason: str | None = None


class SubmissionSnapshot(SubmissionFields):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    tenant_id: UUID
    stage: Stage
    history: list[HistoryEntry]
    version: int
    created_at: datetime
    updated_at: datetime


PlacementStatus = Literal["active", "completed", "terminated"]


class PlacementSnapshot(Record):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    tenant_id: UUID
    submission_id: UUID
    candidate_id: UUID
    requisition_id: UUID
    client_id: UUID
    start_date: date
    end_date: date | None = None
    status: PlacementStatus
    currency: str | None = None
    bill_rate: Decimal | None = None
    pay_rate: Decimal | None = None
    margin: Decimal | None = None
    markup: Decimal | None = None
    margin_percent: Decimal | None = None
    salary: Decimal | None = None
    fee_percent: Decimal | None = None
    fee: Decimal | None = None
    end_reason: str | None = None
    version: int
    created_at: datetime
    updated_at: datetime


class PlacementPatch(Patch):
    """What changes on a placement after it starts: its end, and how it ended."""

    required = frozenset({"status"})

    status: PlacementStatus | None = Field(
        default=None,
        description="`completed` or `terminated` end an active placement; both are final",
    )
    end_date: date | None = Field(
        default=None, description="Defaults to today when the placement ends without one"
    )
    end_reason: Reason | None = Field(
        default=None, description="Why it ended early, say: for a terminated placement"
    )


class PlacementUpdate(Record):
    placement_id: UUID
    submission_id: UUID
    changes: PlacementPatch


INTERVIEW_SCHEDULE = "interview.schedule"
INTERVIEW_SCHEDULED = "interview.scheduled"
FEEDBACK_SUBMIT = "feedback.submit"
FEEDBACK_SUBMITTED = "feedback.submitted"


class InterviewFields(Record):
    scheduled_at: datetime
    kind: Literal["phone", "video", "onsite", "technical"]
    interviewers: list[
        Annotated[
            str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NOT_BLANK
        ]
    ] = Field(default_factory=list, max_length=20)
    location: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = (
        Field(default=None, description="An address, or the call's link")
    )
    duration_minutes: int = Field(default=60, ge=5, le=24 * 60)


class InterviewSchedule(InterviewFields):
    interview_id: UUID
    submission_id: UUID


class InterviewSnapshot(InterviewFields):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    tenant_id: UUID
    submission_id: UUID
    version: int
    created_at: datetime
    updated_at: datetime


class FeedbackFields(Record):
    rating: int = Field(ge=1, le=5)
    recommendation: Literal["strong_no", "no", "yes", "strong_yes"]
    notes: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)] | None = None


class FeedbackSubmit(FeedbackFields):
    feedback_id: UUID
    interview_id: UUID
    submission_id: UUID


class FeedbackSnapshot(FeedbackFields):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    tenant_id: UUID
    interview_id: UUID
    author: str
    version: int
    created_at: datetime
    updated_at: datetime
