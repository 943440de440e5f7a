"""The command and event envelopes every producer and consumer shares."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from core.clock import utcnow

ActorKind = Literal["user", "api_key", "integration", "system"]


class Actor(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=200)
    kind: ActorKind = "user"

    @property
    def label(self) -> str:
        """`kind:id`, as records name who did something (author, erased_by, history)."""
        return f"{self.kind}:{self.id}"


class CommandEnvelope(BaseModel):
    """`{command_id, type, tenant_id, actor, issued_at, expected_version?, payload}`."""

    model_config = ConfigDict(extra="forbid")

    command_id: UUID
    type: str = Field(min_length=1, max_length=100)
    tenant_id: UUID
    actor: Actor
    issued_at: datetime = Field(default_factory=utcnow)
    expected_version: int | None = Field(default=None, ge=0)
    deadline: datetime | None = Field(
        default=None,
        description="Apply only if the broker appended the command by then (command topics "
        "use log-append time): the gateway stops waiting for the broker at this instant and "
        "answers 503, so a command that arrives later is refused, never applied",
    )
    address: str | None = Field(
        default=None,
        max_length=100,
        description="The client address the gateway took the request from, for the audit "
        "log; absent on commands from jobs, and dropped from an integration's",
    )
    reply: bool = Field(
        default=True,
        description="False when no one waits on the outcome (a bulk import): the worker "
        "records it for `GET /commands/{id}` without waking the gateway",
    )
    occurred_at: datetime | None = Field(
        default=None,
        description="When it happened, for a job replaying history (the demo data): the "
        "worker records the change at this time instead of now. Refused on a command "
        "from the gateway or an integration (domain/backdating.py)",
    )
    payload: dict[str, Any]
    subject_id: UUID | None = Field(
        default=None,
        description="The person this command is about, whose key seals its personal fields "
        "(topics/personal.py); set by whoever seals it, never by an integration",
    )


class EventEnvelope(BaseModel):
    """`{event_id, type, tenant_id, aggregate_id, version, occurred_at, caused_by, actor, data}`."""

    event_id: UUID
    type: str
    tenant_id: UUID
    aggregate_id: UUID
    version: int
    occurred_at: datetime
    caused_by: UUID
    actor: Actor
    data: dict[str, Any]
    subject_id: UUID | None = None
    """The person whose key seals this event's personal fields (None: nothing sealed)."""


OutcomeStatus = Literal["accepted", "applied", "rejected"]


class RowRefusal(BaseModel):
    """One refused row of a batch command: its `row` index and the refusal's code and text."""

    row: int
    code: str
    message: str
    duplicate_of: str | None = None


class BatchSummary(BaseModel):
    """What became of a batch command's rows: counted, and each refused row named (an
    import reports them by line). Rows not refused were applied (now or before)."""

    rows: int
    applied: int
    refused: list[RowRefusal] = Field(default_factory=list)


class CommandOutcome(BaseModel):
    """What became of a command: stored in Redis and answered by `GET /commands/{id}`."""

    command_id: UUID
    tenant_id: UUID
    type: str
    status: OutcomeStatus
    resource_id: UUID | None = None
    error: dict[str, Any] | None = None
    # The resource as the agent committed it, so a waiting request can answer without
    # reading it back; absent on replays, where the gateway reads the stores instead.
    # Personal data in the clear: it never leaves the worker (stores/redis.py).
    resource: dict[str, Any] | None = None
    resource_event: EventEnvelope | None = None
    """On the announcement only, never stored: the event whose data is the resource, as
    the events topic carries it (its personal fields sealed with the person's key), for
    the waiting gateway to open and answer with instead of reading the stores back."""
    batch: BatchSummary | None = None
    """A batch command's rows (`candidate.create_batch`): one outcome for the batch."""
    recorded_at: datetime = Field(default_factory=utcnow)
