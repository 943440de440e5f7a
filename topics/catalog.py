"""Every message on every topic, with its payload record: the source of the AsyncAPI document."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from domain.permissions import Permission
from topics import (
    analytics,
    candidates,
    clients,
    notes,
    pipeline,
    requisitions,
    saved_searches,
    webhooks,
)
from topics.names import (
    ANALYTICS_EVENTS,
    CANDIDATE_COMMANDS,
    CANDIDATE_EVENTS,
    CLIENT_COMMANDS,
    CLIENT_EVENTS,
    COMMAND_TOPICS,
    DOCUMENT_COMMANDS,
    NOTE_COMMANDS,
    NOTE_EVENTS,
    PIPELINE_COMMANDS,
    PIPELINE_EVENTS,
    REQUISITION_COMMANDS,
    REQUISITION_EVENTS,
    SEARCH_COMMANDS,
    SEARCH_EVENTS,
    WEBHOOK_EVENTS,
    TopicSpec,
)


@dataclass(frozen=True, slots=True)
class MessageType:
    name: str
    payload: type[BaseModel]
    summary: str


CATALOG: dict[TopicSpec, tuple[MessageType, ...]] = {
    CANDIDATE_COMMANDS: (
        MessageType(
            candidates.CANDIDATE_CREATE,
            candidates.CandidateCreate,
            "Create a candidate; rejected as a duplicate if the email or phone is taken.",
        ),
        MessageType(
            candidates.CANDIDATE_CREATE_BATCH,
            candidates.CandidateCreateBatch,
            "Internal, from the importer: many creates in one message, each row applied or "
            "refused as its own `candidate.create`; one outcome with the refused rows.",
        ),
        MessageType(
            candidates.CANDIDATE_UPDATE,
            candidates.CandidateUpdate,
            "Change a candidate (merge patch); `expected_version` guards it.",
        ),
        MessageType(
            candidates.CANDIDATE_ERASE,
            candidates.CandidateErase,
            "Erase a candidate (GDPR) from every store.",
        ),
        MessageType(
            candidates.CANDIDATE_MERGE,
            candidates.CandidateMerge,
            "Fold a duplicate into the survivor: submissions, notes, placements, contact points.",
        ),
        MessageType(
            candidates.DOCUMENT_RECORD,
            candidates.DocumentRecord,
            "Internal, from the resume reader: record a resume it read (or its refusal), "
            "under the id of the `document.attach` it answers.",
        ),
    ),
    DOCUMENT_COMMANDS: (
        MessageType(
            candidates.DOCUMENT_ATTACH,
            candidates.DocumentAttach,
            "Read a stored resume (the file is in MongoDB under `document_id`) in a process "
            "with limits; the outcome is the `document.record` that follows.",
        ),
    ),
    CANDIDATE_EVENTS: (
        MessageType(
            candidates.CANDIDATE_CREATED,
            candidates.CandidateSnapshot,
            "A candidate was created; `data` is the whole candidate.",
        ),
        MessageType(
            candidates.CANDIDATE_CREATED_BATCH,
            candidates.CandidateCreatedBatch,
            "Internal: the `candidate.created` events of one imported batch in one message. "
            "Webhooks, the changes feed and integrations see the single events only.",
        ),
        MessageType(
            candidates.CANDIDATE_UPDATED,
            candidates.CandidateSnapshot,
            "A candidate changed; `data` is the whole candidate.",
        ),
        MessageType(
            candidates.CANDIDATE_ERASED,
            candidates.CandidateErased,
            "A candidate was erased; a tombstone (null value) for the same key follows.",
        ),
        MessageType(
            candidates.CANDIDATE_MERGED,
            candidates.CandidateMerged,
            "A duplicate was merged; `candidate.updated` follows for both records.",
        ),
        MessageType(
            candidates.DOCUMENT_PARSED,
            candidates.DocumentSnapshot,
            "A resume was read; `data` adds `text` (capped) for the search index.",
        ),
    ),
    CLIENT_COMMANDS: (
        MessageType(clients.CLIENT_CREATE, clients.ClientCreate, "Create a client company."),
        MessageType(clients.CLIENT_UPDATE, clients.ClientUpdate, "Change a client company."),
        MessageType(
            clients.CONTACT_CREATE,
            clients.ContactCreate,
            "Add a contact to a client (keyed by the client id).",
        ),
        MessageType(
            clients.CONTACT_UPDATE,
            clients.ContactUpdate,
            "Change a contact (keyed by the client id).",
        ),
        MessageType(
            clients.CONTACT_ERASE,
            clients.ContactErase,
            "Erase a contact (GDPR): the record, notes on them and their key go.",
        ),
    ),
    CLIENT_EVENTS: (
        MessageType(clients.CLIENT_CREATED, clients.ClientSnapshot, "A client was created."),
        MessageType(clients.CLIENT_UPDATED, clients.ClientSnapshot, "A client changed."),
        MessageType(clients.CONTACT_CREATED, clients.ContactSnapshot, "A contact was added."),
        MessageType(clients.CONTACT_UPDATED, clients.ContactSnapshot, "A contact changed."),
        MessageType(clients.CONTACT_ERASED, clients.ContactErased, "A contact was erased."),
    ),
    REQUISITION_COMMANDS: (
        MessageType(
            requisitions.REQUISITION_CREATE,
            requisitions.RequisitionCreate,
            "Open a requisition for a client.",
        ),
        MessageType(
            requisitions.REQUISITION_UPDATE,
            requisitions.RequisitionUpdate,
            "Change a requisition (merge patch).",
        ),
        MessageType(
            requisitions.REQUISITION_SET_STATUS,
            requisitions.RequisitionSetStatus,
            "Put a requisition on hold, close, cancel, fill or reopen it.",
        ),
    ),
    REQUISITION_EVENTS: (
        MessageType(
            requisitions.REQUISITION_CREATED,
            requisitions.RequisitionSnapshot,
            "A requisition was opened.",
        ),
        MessageType(
            requisitions.REQUISITION_UPDATED,
            requisitions.RequisitionSnapshot,
            "A requisition changed.",
        ),
        MessageType(
            requisitions.REQUISITION_STATUS_CHANGED,
            requisitions.RequisitionSnapshot,
            "A requisition's status changed.",
        ),
    ),
    PIPELINE_COMMANDS: (
        MessageType(
            pipeline.SUBMISSION_CREATE,
            pipeline.SubmissionCreate,
            "Put a candidate in a requisition's pipeline.",
        ),
        MessageType(
            pipeline.SUBMISSION_TRANSITION,
            pipeline.SubmissionTransition,
            "Move a submission to another stage; `placed` creates the placement.",
        ),
        MessageType(
            pipeline.PLACEMENT_UPDATE,
            pipeline.PlacementUpdate,
            "End a placement (completed or terminated) or correct its dates; keyed by "
            "its submission.",
        ),
        MessageType(
            pipeline.INTERVIEW_SCHEDULE,
            pipeline.InterviewSchedule,
            "Schedule an interview for an active submission.",
        ),
        MessageType(
            pipeline.FEEDBACK_SUBMIT, pipeline.FeedbackSubmit, "Record an interviewer's scorecard."
        ),
    ),
    PIPELINE_EVENTS: (
        MessageType(
            pipeline.SUBMISSION_CREATED,
            pipeline.SubmissionSnapshot,
            "A candidate entered a requisition's pipeline.",
        ),
        MessageType(
            pipeline.SUBMISSION_STAGE_CHANGED,
            pipeline.SubmissionSnapshot,
            "A submission moved; `data.history` ends with the move.",
        ),
        MessageType(
            pipeline.INTERVIEW_SCHEDULED, pipeline.InterviewSnapshot, "An interview was scheduled."
        ),
        MessageType(
            pipeline.FEEDBACK_SUBMITTED,
            pipeline.FeedbackSnapshot,
            "An interview's scorecard was recorded.",
        ),
        MessageType(
            pipeline.PLACEMENT_CREATED,
            pipeline.PlacementSnapshot,
            "A candidate was placed, with the placement's economics.",
        ),
        MessageType(
            pipeline.PLACEMENT_UPDATED,
            pipeline.PlacementSnapshot,
            "A placement changed: completed, terminated (or its submission reopened), dates.",
        ),
    ),
    NOTE_COMMANDS: (
        MessageType(
            notes.NOTE_CREATE,
            notes.NoteCreate,
            "Write a note on a candidate, client, contact, requisition or submission.",
        ),
    ),
    NOTE_EVENTS: (MessageType(notes.NOTE_CREATED, notes.NoteSnapshot, "A note was written."),),
    SEARCH_COMMANDS: (
        MessageType(
            saved_searches.SAVED_SEARCH_CREATE,
            saved_searches.SavedSearchCreate,
            "Save a candidate search (`q` and filters), with alerts on new matches.",
        ),
        MessageType(
            saved_searches.SAVED_SEARCH_DELETE,
            saved_searches.SavedSearchDelete,
            "Delete one of the sender's saved searches.",
        ),
    ),
    SEARCH_EVENTS: (
        MessageType(
            saved_searches.SAVED_SEARCH_CREATED,
            saved_searches.SavedSearchSnapshot,
            "A search was saved.",
        ),
        MessageType(
            saved_searches.SAVED_SEARCH_MATCHED,
            saved_searches.SavedSearchMatch,
            "A new or changed candidate newly matches a saved search: an alert for its owner.",
        ),
    ),
    ANALYTICS_EVENTS: (
        MessageType(
            analytics.ALERT_RAISED,
            analytics.Alert,
            "A service level was missed: a submission waits in client review past the "
            "agency's limit, or a hot requisition has had no submission for too long.",
        ),
        MessageType(
            analytics.ALERT_CLEARED,
            analytics.Alert,
            "The alert's cause went away (the submission moved on, a submission arrived, "
            "the requisition is no longer open and hot).",
        ),
    ),
    WEBHOOK_EVENTS: (
        MessageType(
            webhooks.WEBHOOK_DISABLED,
            webhooks.WebhookDisabled,
            "A webhook was disabled: its deliveries failed for the whole retry period. Its "
            "admins re-enable it with `PATCH /webhooks/{id}` once the endpoint is fixed.",
        ),
    ),
}


COMMAND_PERMISSIONS: dict[str, Permission] = {
    candidates.CANDIDATE_CREATE: "candidates:write",
    candidates.CANDIDATE_UPDATE: "candidates:write",
    candidates.CANDIDATE_ERASE: "candidates:erase",
    candidates.CANDIDATE_MERGE: "candidates:merge",
    candidates.DOCUMENT_ATTACH: "candidates:write",
    clients.CLIENT_CREATE: "clients:write",
    clients.CLIENT_UPDATE: "clients:write",
    clients.CONTACT_CREATE: "clients:write",
    clients.CONTACT_UPDATE: "clients:write",
    clients.CONTACT_ERASE: "contacts:erase",
    requisitions.REQUISITION_CREATE: "requisitions:write",
    requisitions.REQUISITION_UPDATE: "requisitions:write",
    requisitions.REQUISITION_SET_STATUS: "requisitions:write",
    pipeline.SUBMISSION_CREATE: "pipeline:write",
    pipeline.SUBMISSION_TRANSITION: "pipeline:write",
    pipeline.PLACEMENT_UPDATE: "pipeline:write",
    pipeline.INTERVIEW_SCHEDULE: "pipeline:write",
    pipeline.FEEDBACK_SUBMIT: "pipeline:write",
    notes.NOTE_CREATE: "notes:write",
    saved_searches.SAVED_SEARCH_CREATE: "saved_searches:write",
    saved_searches.SAVED_SEARCH_DELETE: "saved_searches:write",
}
"""What each command needs of its sender (domain/permissions.py has who has what)."""

INTERNAL_COMMANDS: frozenset[str] = frozenset(
    {candidates.DOCUMENT_RECORD, candidates.CANDIDATE_CREATE_BATCH}
)
"""Commands only the workers and jobs send (a resume's reading, recorded; an import's
batch): nobody outside may send one, whatever their role."""

INTERNAL_EVENTS: frozenset[str] = frozenset({candidates.CANDIDATE_CREATED_BATCH})
"""Events only the followers read (expanded to single events first): nobody subscribes."""


def command_topic_of(command_type: str) -> TopicSpec | None:
    """The command topic whose agent applies `command_type` (None: no such command)."""
    for spec in COMMAND_TOPICS:
        if any(m.name == command_type for m in CATALOG.get(spec, ())):
            return spec
    return None


def event_types() -> frozenset[str]:
    """Every event type the topics carry: what a webhook may subscribe to."""
    return frozenset(
        m.name
        for spec, messages in CATALOG.items()
        if spec.kind == "events"
        for m in messages
        if m.name not in INTERNAL_EVENTS
    )
