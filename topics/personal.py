"""Which fields of which messages are personal, and whose: the contract for sealing.

A message about a person carries that person's id as the envelope's `subject_id`, and
each personal field below is sealed in place with the person's key (`topics/sealing.py`):
its value becomes a `rt1:` string that only that key opens. Erasing the person deletes
the key, so every copy of the message, wherever it was copied, stops saying anything.

Sealed: what names or describes the person in words (names, e-mails, phones, headline,
location, work history, education, links, free-text notes and reasons, file names).
Left readable: ids, stages, dates, statuses, skills and tags, money: what routing,
analytics and the pipeline read, and what says nothing about who the person is.

A path is a dotted list of keys; `[]` after a key means every item of that list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from topics.candidates import (
    CANDIDATE_CREATE,
    CANDIDATE_CREATE_BATCH,
    CANDIDATE_CREATED,
    CANDIDATE_CREATED_BATCH,
    CANDIDATE_UPDATE,
    CANDIDATE_UPDATED,
    DOCUMENT_ATTACH,
    DOCUMENT_PARSED,
    DOCUMENT_RECORD,
)
from topics.clients import CONTACT_CREATE, CONTACT_CREATED, CONTACT_UPDATE, CONTACT_UPDATED
from topics.notes import NOTE_CREATE, NOTE_CREATED
from topics.pipeline import (
    FEEDBACK_SUBMIT,
    FEEDBACK_SUBMITTED,
    PLACEMENT_CREATED,
    PLACEMENT_UPDATE,
    PLACEMENT_UPDATED,
    SUBMISSION_CREATED,
    SUBMISSION_STAGE_CHANGED,
    SUBMISSION_TRANSITION,
)

SubjectType = Literal["candidate", "contact"]

CANDIDATE_FIELDS = (
    "first_name",
    "last_name",
    "emails",
    "phones",
    "headline",
    "location",
    "work_history",
    "education",
    "links",
    "work_authorization",
)
CONTACT_FIELDS = ("first_name", "last_name", "title", "email", "phone")


@dataclass(frozen=True, slots=True)
class Personal:
    """The personal paths of one message type."""

    paths: tuple[str, ...]
    # Events about a person's own record name the person as their aggregate; the rest
    # (a note, a stage change) inherit the subject of the command that caused them.
    subject_is_aggregate: bool = False


def _record(fields: tuple[str, ...]) -> Personal:
    return Personal(fields, subject_is_aggregate=True)


COMMANDS: Mapping[str, Personal] = {
    CANDIDATE_CREATE: Personal(CANDIDATE_FIELDS),
    CANDIDATE_UPDATE: Personal(tuple(f"changes.{f}" for f in CANDIDATE_FIELDS)),
    CONTACT_CREATE: Personal(CONTACT_FIELDS),
    CONTACT_UPDATE: Personal(tuple(f"changes.{f}" for f in CONTACT_FIELDS)),
    NOTE_CREATE: Personal(("body",)),
    SUBMISSION_TRANSITION: Personal(("reason",)),
    FEEDBACK_SUBMIT: Personal(("notes",)),
    PLACEMENT_UPDATE: Personal(("changes.end_reason",)),
    DOCUMENT_ATTACH: Personal(("filename",)),
    DOCUMENT_RECORD: Personal(("filename",)),
}

BATCH_COMMANDS: Mapping[str, Personal] = {
    CANDIDATE_CREATE_BATCH: Personal(tuple(f"rows[].{f}" for f in CANDIDATE_FIELDS)),
}
"""Batch commands (topics/batches.py): their rows' personal fields are the single
command's, each row sealed with its own person's key and bound to the single command's
path (so a row opens as the command it stands for); the batch itself names nobody."""

BATCH_EVENTS: Mapping[str, Personal] = {
    CANDIDATE_CREATED_BATCH: Personal(tuple(f"events[].data.{f}" for f in CANDIDATE_FIELDS)),
}
"""Batch events carry single events already sealed, each with its own person's key."""

EVENTS: Mapping[str, Personal] = {
    CANDIDATE_CREATED: _record(CANDIDATE_FIELDS),
    CANDIDATE_UPDATED: _record(CANDIDATE_FIELDS),
    CONTACT_CREATED: _record(CONTACT_FIELDS),
    CONTACT_UPDATED: _record(CONTACT_FIELDS),
    NOTE_CREATED: Personal(("body",)),
    SUBMISSION_CREATED: Personal(("history[].reason",)),
    SUBMISSION_STAGE_CHANGED: Personal(("history[].reason",)),
    FEEDBACK_SUBMITTED: Personal(("notes",)),
    PLACEMENT_CREATED: Personal(("end_reason",)),
    PLACEMENT_UPDATED: Personal(("end_reason",)),
    DOCUMENT_PARSED: Personal(("filename", "text")),
}
