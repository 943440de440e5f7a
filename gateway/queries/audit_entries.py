"""Audit entries as the API answers them (`GET /audit`, and in a subject access export)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from domain.audit import ACTIONS, AuditEntry


class AuditEntryView(BaseModel):
    id: UUID
    seq: int = Field(description="Its place in the agency's chain: 1, 2, 3, … without gaps")
    at: datetime
    action: str = Field(description=f"One of {', '.join(ACTIONS)}")
    actor: str = Field(
        description="Who: a user's, an API key's or an integration's id, or a job's name"
    )
    actor_kind: str = Field(description="user, api_key, integration or system (a job)")
    address: str | None = Field(
        description="The client's address (behind a trusted proxy, the one it forwarded); "
        "none for jobs and integrations"
    )
    subject_type: str | None = Field(
        description="What `subject_id` is (candidate, document, contact, note, submission, "
        "…); for a list not about one record, what it listed"
    )
    subject_id: UUID | None = Field(description="The record acted on, or a list was about")
    subject_ids: list[UUID] = Field(
        description="Every record concerned: the subject, the records a change touched, "
        "every record a list, search or match answered"
    )
    detail: dict[str, Any] = Field(
        description="Ids, names and counts only: `view` (what was read), `count`, "
        "`fields` (the names of the fields a change set), `command_id`, `reason` (of a "
        "failed login). Never a value of the record"
    )
    prev_hash: str = Field(description="The `hash` of entry `seq - 1` (64 zeros for the first)")
    hash: str = Field(description="SHA-256 of this entry's content and `prev_hash`")


def entry_view(entry: AuditEntry) -> AuditEntryView:
    return AuditEntryView(
        id=entry.id,
        seq=entry.seq,
        at=entry.at,
        action=entry.action,
        actor=entry.actor,
        actor_kind=entry.actor_kind,
        address=entry.address,
        subject_type=entry.subject_type,
        subject_id=entry.subject_id,
        subject_ids=list(entry.subject_ids),
        detail=dict(entry.detail),
        prev_hash=entry.prev_hash,
        hash=entry.hash,
    )
