"""Candidate commands and events: the payload records on the candidate topics."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from domain.retention import ConsentBasis, check_consent_dates
from domain.types import NOT_BLANK, CountryCode, CurrencyCode, PositiveAmount, UtcDateTime
from topics.records import Patch, Record

CANDIDATE_CREATE = "candidate.create"
CANDIDATE_CREATED = "candidate.created"
# An importer's creates, many to a message (topics/batches.py): the per-message costs of
# Kafka and the event loop are paid once per batch, not once per candidate.
CANDIDATE_CREATE_BATCH = "candidate.create_batch"
CANDIDATE_CREATED_BATCH = "candidate.created_batch"
CANDIDATE_UPDATE = "candidate.update"
CANDIDATE_UPDATED = "candidate.updated"
CANDIDATE_ERASE = "candidate.erase"
CANDIDATE_MERGE = "candidate.merge"
DOCUMENT_ATTACH = "document.attach"
DOCUMENT_RECORD = "document.record"
DOCUMENT_PARSED = "document.parsed"
CANDIDATE_MERGED = "candidate.merged"
CANDIDATE_ERASED = "candidate.erased"

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NOT_BLANK
]
Tag = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), NOT_BLANK
]
CandidateStatus = Literal["active", "placed", "do_not_use"]
Source = Literal["job_board", "referral", "sourced", "integration", "agency", "other"]


class Location(Record):
    city: ShortText | None = None
    region: ShortText | None = None
    country: CountryCode | None = None
    remote: bool | None = Field(default=None, description="Open to remote work")


class Skill(Record):
    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80), NOT_BLANK
    ]
    years: float | None = Field(default=None, ge=0, le=60)
    level: Literal["beginner", "intermediate", "advanced", "expert"] | None = None


class WorkHistoryItem(Record):
    employer: ShortText
    title: ShortText | None = None
    start_date: date | None = None
    end_date: date | None = None
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None


class EducationItem(Record):
    institution: ShortText
    degree: ShortText | None = None
    field: ShortText | None = None
    end_year: int | None = Field(default=None, ge=1900, le=2100)


class Link(Record):
    kind: Annotated[str, StringConstraints(max_length=40)] = "other"
    url: Annotated[str, StringConstraints(max_length=500)]


class Rate(Record):
    amount: PositiveAmount
    currency: CurrencyCode
    unit: Literal["hour", "day", "month", "year"] = "hour"


class Salary(Record):
    amount: PositiveAmount
    currency: CurrencyCode


class Consent(Record):
    """The lawful basis on which the agency holds the person's data, since when and until
    when. Only a `consent` that is given and not expired holds a candidate back from the
    agency's retention policy (docs/data.md)."""

    given_at: UtcDateTime = Field(description="When the basis was established")
    basis: ConsentBasis = Field(
        description="`consent` (the person agreed), `legitimate_interest` or `contract`"
    )
    expires_at: UtcDateTime | None = Field(
        default=None,
        description="When it lapses (after `given_at`); none: until withdrawn",
    )

    @model_validator(mode="after")
    def _expires_after_given(self) -> Consent:
        check_consent_dates(self.given_at, self.expires_at)
        return self


class CandidateFields(Record):
    """The fields a caller sets on a candidate."""

    first_name: Name
    last_name: Name
    emails: list[Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)]] = Field(
        default_factory=list, max_length=10
    )
    phones: list[Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)]] = Field(
        default_factory=list, max_length=10
    )
    headline: ShortText | None = None
    location: Location | None = None
    skills: list[Skill] = Field(default_factory=list, max_length=200)
    work_history: list[WorkHistoryItem] = Field(default_factory=list, max_length=50)
    education: list[EducationItem] = Field(default_factory=list, max_length=20)
    links: list[Link] = Field(default_factory=list, max_length=20)
    source: Source | None = None
    owner_id: UUID | None = None
    status: CandidateStatus = "active"
    available_from: date | None = None
    desired_rate: Rate | None = None
    desired_salary: Salary | None = None
    work_authorization: ShortText | None = None
    willing_to_relocate: bool = Field(
        default=False,
        description="Would move for a role beyond a commute (matching counts onsite and "
        "hybrid roles far from home as within reach)",
    )
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    consent: Consent | None = None


class CandidateCreate(CandidateFields):
    """Payload of `candidate.create`; `candidate_id` is chosen by the sender."""

    candidate_id: UUID


BATCH_MAX_ROWS = 5000
"""The most rows one batch command may carry (the importer sends IMPORT_BATCH_ROWS)."""


class CandidateCreateRow(CandidateCreate):
    """One row of `candidate.create_batch`: a create, and where it came from."""

    row: int = Field(
        ge=0,
        description="The row's index in its source (the importer sends the file's line): "
        "unique within the batch, it names the row in the batch's outcome and keys its "
        "ledger row, so a redelivered batch applies nothing twice",
    )


class CandidateCreateBatch(Record):
    """Payload of `candidate.create_batch`: creates sent together by an importer. Each row
    is applied or refused on its own, as if sent alone; the batch has one outcome with
    the counts and the refused rows."""

    rows: list[CandidateCreateRow] = Field(min_length=1, max_length=BATCH_MAX_ROWS)


class CandidateCreatedBatch(Record):
    """Data of `candidate.created_batch`: the `candidate.created` events of one batch's
    created rows, whole (each its own envelope, sealed with its candidate's key).
    Followers expand it (`topics/batches.py`); subscribers see only the single events."""

    events: list[dict[str, Any]]


class CandidatePatch(Patch):
    """A partial update (JSON merge patch): fields sent replace, `null` clears."""

    # Send [] to empty a list; these cannot be cleared.
    required: ClassVar[frozenset[str]] = frozenset(
        {
            "first_name",
            "last_name",
            "emails",
            "phones",
            "skills",
            "work_history",
            "education",
            "links",
            "status",
            "tags",
            "willing_to_relocate",
        }
    )

    first_name: Name | None = None
    last_name: Name | None = None
    emails: (
        list[Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)]] | None
    ) = Field(default=None, max_length=10)
    phones: list[Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)]] | None = (
        Field(default=None, max_length=10)
    )
    headline: ShortText | None = None
    location: Location | None = None
    skills: list[Skill] | None = Field(default=None, max_length=200)
    work_history: list[WorkHistoryItem] | None = Field(default=None, max_length=50)
    education: list[EducationItem] | None = Field(default=None, max_length=20)
    links: list[Link] | None = Field(default=None, max_length=20)
    source: Source | None = None
    owner_id: UUID | None = None
    status: CandidateStatus | None = None
    available_from: date | None = None
    desired_rate: Rate | None = None
    desired_salary: Salary | None = None
    work_authorization: ShortText | None = None
    willing_to_relocate: bool | None = None
    tags: list[Tag] | None = Field(default=None, max_length=50)
    consent: Consent | None = None


class CandidateUpdate(Record):
    """Payload of `candidate.update`; the envelope's `expected_version` guards it."""

    candidate_id: UUID
    changes: CandidatePatch


class DocumentAttach(Record):
    """Payload of `document.attach`: the file is already stored (MongoDB) under `document_id`."""

    document_id: UUID
    candidate_id: UUID
    filename: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    media_type: str
    size: int = Field(ge=0)
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class Refusal(BaseModel):
    """Why a file was not read, as a command outcome records an error (`limit` names the
    limit a file broke)."""

    model_config = ConfigDict(extra="allow")

    code: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    message: Annotated[str, StringConstraints(max_length=2000)]
    status: int = Field(ge=400, le=599)
    title: Annotated[str, StringConstraints(max_length=200)]


class DocumentRecord(DocumentAttach):
    """Payload of `document.record`, sent by the resume reader to the candidates agent with
    the command id of the `document.attach` it read.

    Either the text was read (it is stored with the file in MongoDB, `text_chars` long;
    `skills` are the vocabulary's skills it mentions) or `refusal` says why not.
    """

    text_chars: int = Field(default=0, ge=0)
    skills: list[Annotated[str, StringConstraints(max_length=80)]] = Field(
        default_factory=list, max_length=500
    )
    refusal: Refusal | None = None


class DocumentSnapshot(Record):
    """A document as listed: what it is and the skills its text proposes."""

    model_config = ConfigDict(extra="ignore")

    id: UUID
    tenant_id: UUID
    candidate_id: UUID
    filename: str
    media_type: str
    size: int
    sha256: str
    text_chars: int
    proposed_skills: list[str]
    created_at: datetime


class CandidateErase(Record):
    """Payload of `candidate.erase` (GDPR): the person's data goes from every store."""

    candidate_id: UUID


class CandidateMerge(Record):
    """Payload of `candidate.merge`: the duplicate is folded into the survivor."""

    candidate_id: UUID
    duplicate_id: UUID


class MovedSubmission(Record):
    id: UUID
    stage: str
    version: int


class CandidateMerged(Record):
    """The `data` of `candidate.merged`."""

    survivor_id: UUID
    duplicate_id: UUID
    moved_submissions: int
    moved_notes: int
    # The submissions that now belong to the survivor (one to a requisition the survivor
    # was already in stays with the duplicate), with the stage each is in.
    moved: list[MovedSubmission] = Field(default_factory=list)


class CandidateErased(Record):
    """The `data` of `candidate.erased`: who was erased, when and by whom, nothing more."""

    id: UUID
    tenant_id: UUID
    erased_at: datetime
    erased_by: str


class CandidateSnapshot(CandidateFields):
    """The whole candidate as stored: the `data` of candidate events."""

    model_config = ConfigDict(extra="ignore")

    id: UUID
    tenant_id: UUID
    version: int
    created_at: datetime
    updated_at: datetime
    merged_into: UUID | None = None


PROFILE_DEFAULTS: dict[str, Any] = {"skills": [], "work_history": [], "education": [], "links": []}


def compose_candidate(record: dict[str, Any], profile: dict[str, Any] | None) -> CandidateSnapshot:
    """The whole candidate from its Postgres record and its MongoDB profile document."""
    merged = {**record, **PROFILE_DEFAULTS}
    if profile:
        merged.update({k: v for k, v in profile.items() if k in PROFILE_DEFAULTS})
    return CandidateSnapshot.model_validate(merged)
