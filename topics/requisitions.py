"""Requisitions (job orders): commands and events on the requisitions topics."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import ConfigDict, Field, JsonValue, StringConstraints, model_validator

from domain.types import NOT_BLANK, NOT_BLANK_PATTERN, CountryCode, CurrencyCode, Fraction, Money
from topics.records import Patch, Record

REQUISITION_CREATE = "requisition.create"
REQUISITION_UPDATE = "requisition.update"
REQUISITION_SET_STATUS = "requisition.set_status"
REQUISITION_CREATED = "requisition.created"
REQUISITION_UPDATED = "requisition.updated"
REQUISITION_STATUS_CHANGED = "requisition.status_changed"

Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NOT_BLANK
]
SkillName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80), NOT_BLANK
]
EmploymentType = Literal["contract", "contract_to_hire", "permanent"]
Priority = Literal["hot", "warm", "cold"]
RequisitionStatus = Literal["open", "on_hold", "filled", "closed", "cancelled"]

# Moving to these needs a reason a colleague can read later.
STATUSES_NEEDING_REASON = frozenset({"on_hold", "closed", "cancelled"})


class Range(Record):
    min: Money
    max: Money
    currency: CurrencyCode

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class RequisitionLocation(Record):
    city: Text | None = None
    region: Text | None = None
    country: CountryCode | None = None
    remote: Literal["onsite", "hybrid", "remote"] = "onsite"


class RequisitionFields(Record):
    client_id: UUID
    contact_id: UUID | None = Field(default=None, description="The hiring contact")
    title: Text
    description: Annotated[str, StringConstraints(max_length=20_000)] | None = None
    required_skills: list[SkillName] = Field(default_factory=list, max_length=50)
    nice_to_have_skills: list[SkillName] = Field(default_factory=list, max_length=50)
    location: RequisitionLocation | None = None
    employment_type: EmploymentType = "contract"
    openings: int = Field(default=1, ge=1, le=1000)
    bill_rate: Range | None = Field(default=None, description="Per hour, for contract roles")
    salary: Range | None = Field(default=None, description="Per year, for permanent roles")
    fee_percent: Fraction | None = None
    priority: Priority = "warm"
    owner_id: UUID | None = None
    target_date: date | None = None


class RequisitionPatch(Patch):
    required: ClassVar[frozenset[str]] = frozenset(
        {
            "title",
            "required_skills",
            "nice_to_have_skills",
            "employment_type",
            "openings",
            "priority",
        }
    )
    contact_id: UUID | None = None
    title: Text | None = None
    description: Annotated[str, StringConstraints(max_length=20_000)] | None = None
    required_skills: list[SkillName] | None = Field(default=None, max_length=50)
    nice_to_have_skills: list[SkillName] | None = Field(default=None, max_length=50)
    location: RequisitionLocation | None = None
    employment_type: EmploymentType | None = None
    openings: int | None = Field(default=None, ge=1, le=1000)
    bill_rate: Range | None = None
    salary: Range | None = None
    fee_percent: Fraction | None = None
    priority: Priority | None = None
    owner_id: UUID | None = None
    target_date: date | None = None


class StatusChange(Record):
    # The rule below, as JSON Schema says it (for the API's and the topics' documents).
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "if": {
                "properties": {
                    "status": {"enum": list[JsonValue](sorted(STATUSES_NEEDING_REASON))}
                },
                "required": ["status"],
            },
            "then": {
                "required": ["reason"],
                "properties": {"reason": {"type": "string", "pattern": NOT_BLANK_PATTERN}},
            },
        },
    )

    status: RequisitionStatus
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None

    @model_validator(mode="after")
    def _reason_when_needed(self) -> StatusChange:
        if self.status in STATUSES_NEEDING_REASON and not self.reason:
            raise ValueError(f"moving to {self.status} needs a reason")
        return self


class RequisitionCreate(RequisitionFields):
    requisition_id: UUID


class RequisitionUpdate(Record):
    requisition_id: UUID
    changes: RequisitionPatch


class RequisitionSetStatus(StatusChange):
    requisition_id: UUID


class RequisitionSnapshot(RequisitionFields):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    tenant_id: UUID
    status: RequisitionStatus
    status_reason: str | None = None
    opened_at: datetime
    filled_at: datetime | None = Field(
        default=None, description="When it became filled (cleared if it opens again)"
    )
    version: int
    created_at: datetime
    updated_at: datetime
