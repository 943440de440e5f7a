"""Notes on any record: commands and events on the notes topics, keyed by the subject's id."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import ConfigDict, StringConstraints

from domain.types import NOT_BLANK
from topics.records import Record

NOTE_CREATE = "note.create"
NOTE_CREATED = "note.created"

SubjectType = Literal["candidate", "client", "contact", "requisition", "submission"]
NoteKind = Literal["call", "email", "meeting", "prescreen", "general"]


class NoteFields(Record):
    subject_type: SubjectType
    subject_id: UUID
    kind: NoteKind = "general"
    body: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000), NOT_BLANK
    ]


class NoteCreate(NoteFields):
    note_id: UUID


class NoteSnapshot(NoteFields):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    tenant_id: UUID
    author: str
    version: int
    created_at: datetime
    updated_at: datetime
