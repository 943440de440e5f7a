"""Everything held about one person, gathered for a subject access export (GDPR art. 15).

Read from the stores through their repositories: the candidate and the duplicates folded
into them (Postgres and their MongoDB profiles), their documents (rows, and the files in
MongoDB when asked inline), submissions with their stage history, interviews and
feedback, placements, the notes on them and on their submissions, and the audit log's
entries about any of these records.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from gateway.queries.audit_entries import AuditEntryView
from stores.bundle import Stores
from stores.postgres import candidates as candidate_rows
from stores.postgres.documents import DOCUMENTS
from stores.postgres.notes import NOTES
from stores.postgres.pipeline import FEEDBACK, INTERVIEWS, PLACEMENTS, SUBMISSIONS
from topics.candidates import CandidateSnapshot, Consent, DocumentSnapshot, compose_candidate
from topics.notes import NoteSnapshot
from topics.pipeline import (
    FeedbackSnapshot,
    InterviewSnapshot,
    PlacementSnapshot,
    SubmissionSnapshot,
)

FORMAT: Literal["refactortrack.subject-access"] = "refactortrack.subject-access"
FORMAT_VERSION: Literal[1] = 1


class ExportedDocument(DocumentSnapshot):
    content_url: str = Field(description="Where the stored file is downloaded")
    content_base64: str | None = Field(
        default=None, description="The file itself, with `?documents=inline`"
    )


class ExportedInterview(InterviewSnapshot):
    feedback: list[FeedbackSnapshot]


class ExportedSubmission(SubmissionSnapshot):
    interviews: list[ExportedInterview]
    notes: list[NoteSnapshot] = Field(description="Notes written on this submission")


class SubjectExport(BaseModel):
    """One JSON document with everything held about a person."""

    format: Literal["refactortrack.subject-access"] = FORMAT
    format_version: Literal[1] = Field(
        default=FORMAT_VERSION,
        description="Raised when a field changes meaning or is removed; new fields may "
        "appear within a version",
    )
    exported_at: datetime
    candidate_id: UUID
    profile: CandidateSnapshot = Field(description="The candidate as `GET` answers it")
    consent: Consent | None = Field(description="The basis on which the data is held")
    documents: list[ExportedDocument]
    submissions: list[ExportedSubmission] = Field(
        description="Every pipeline the person is in, with its stage history, interviews "
        "and feedback"
    )
    placements: list[PlacementSnapshot]
    notes: list[NoteSnapshot] = Field(description="Notes written on the candidate")
    merged_duplicates: list[CandidateSnapshot] = Field(
        description="Records of the same person that were merged into this one"
    )
    audit: list[AuditEntryView] = Field(
        description="Who read, changed, exported or erased any of these records, oldest "
        "first; this export is the last"
    )


@dataclass(frozen=True, slots=True)
class HeldData:
    """What the stores hold about the person, before the audit entries are added."""

    profile: CandidateSnapshot
    duplicates: list[CandidateSnapshot]
    documents: list[ExportedDocument]
    submissions: list[ExportedSubmission]
    placements: list[PlacementSnapshot]
    notes: list[NoteSnapshot]

    @property
    def person_ids(self) -> list[UUID]:
        """The candidate's id and those of the duplicates folded into it."""
        return [self.profile.id, *(d.id for d in self.duplicates)]

    def record_ids(self) -> list[UUID]:
        """Every record held about the person: what their audit entries may name."""
        ids = [*self.person_ids, *(d.id for d in self.documents)]
        for submission in self.submissions:
            ids.append(submission.id)
            ids.extend(n.id for n in submission.notes)
            for interview in submission.interviews:
                ids.append(interview.id)
                ids.extend(f.id for f in interview.feedback)
        ids.extend(p.id for p in self.placements)
        ids.extend(n.id for n in self.notes)
        return ids

    def export(self, exported_at: datetime, audit: list[AuditEntryView]) -> SubjectExport:
        return SubjectExport(
            exported_at=exported_at,
            candidate_id=self.profile.id,
            profile=self.profile,
            consent=self.profile.consent,
            documents=self.documents,
            submissions=self.submissions,
            placements=self.placements,
            notes=self.notes,
            merged_duplicates=self.duplicates,
            audit=audit,
        )


def content_url(candidate_id: UUID, document_id: UUID) -> str:
    return f"/api/v1/candidates/{candidate_id}/documents/{document_id}/content"


async def gather(
    stores: Stores, tenant_id: UUID, profile: CandidateSnapshot, *, inline: bool
) -> HeldData:
    """Everything the stores hold about the candidate `profile` (and those merged into it)."""
    async with stores.db.read() as conn:
        folded = await candidate_rows.merged_into(conn, tenant_id, profile.id)
        person = [profile.id, *(r["id"] for r in folded)]
        documents = await DOCUMENTS.where_in(
            conn, tenant_id, "candidate_id", person, order_by="created_at"
        )
        submissions = await SUBMISSIONS.where_in(
            conn, tenant_id, "candidate_id", person, order_by="created_at"
        )
        submission_ids = [s["id"] for s in submissions]
        interviews = await INTERVIEWS.where_in(
            conn, tenant_id, "submission_id", submission_ids, order_by="scheduled_at"
        )
        feedback = await FEEDBACK.where_in(
            conn, tenant_id, "interview_id", [i["id"] for i in interviews], order_by="created_at"
        )
        placements = await PLACEMENTS.where_in(
            conn, tenant_id, "candidate_id", person, order_by="created_at"
        )
        notes = await NOTES.where_in(
            conn, tenant_id, "subject_id", person, order_by="created_at", subject_type="candidate"
        )
        submission_notes = await NOTES.where_in(
            conn,
            tenant_id,
            "subject_id",
            submission_ids,
            order_by="created_at",
            subject_type="submission",
        )
    # The duplicates' e-mails and phones are sealed at rest, each with its own key.
    folded = await stores.at_rest.open_candidates(folded)
    profiles = await stores.mongo.get_profiles(tenant_id, [r["id"] for r in folded])
    duplicates = [compose_candidate(r, profiles.get(str(r["id"]))) for r in folded]
    files = await _files(stores, tenant_id, [d["id"] for d in documents]) if inline else {}
    return HeldData(
        profile=profile,
        duplicates=duplicates,
        documents=[
            ExportedDocument.model_validate(
                {
                    **d,
                    "content_url": content_url(profile.id, d["id"]),
                    "content_base64": files.get(d["id"]),
                }
            )
            for d in documents
        ],
        submissions=[
            ExportedSubmission.model_validate(
                {
                    **s,
                    "interviews": [
                        {
                            **i,
                            "feedback": [f for f in feedback if f["interview_id"] == i["id"]],
                        }
                        for i in interviews
                        if i["submission_id"] == s["id"]
                    ],
                    "notes": [n for n in submission_notes if n["subject_id"] == s["id"]],
                }
            )
            for s in submissions
        ],
        placements=[PlacementSnapshot.model_validate(p) for p in placements],
        notes=[NoteSnapshot.model_validate(n) for n in notes],
    )


async def _files(stores: Stores, tenant_id: UUID, document_ids: list[UUID]) -> dict[UUID, str]:
    """The stored files (opened: they are sealed at rest), base64; a file missing from
    MongoDB (a row without one) or no longer opening is left out."""
    found: dict[UUID, str] = {}
    for document_id in document_ids:
        content = await stores.files.content(tenant_id, document_id)
        if content is not None:
            found[document_id] = base64.b64encode(content).decode()
    return found
