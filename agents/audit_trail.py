"""The audit entry of each command a worker applied, built from its envelope and its result.

The processor appends these in the transaction that applies the commands and records
them in the ledger (agents/processor.py): a change and its entry commit together, and a
redelivered command, found in the ledger, makes no second entry. The actor and the
address come from the envelope, which the gateway fills from the caller's credentials and
connection (an integration's are set by its gate), never from a payload.

An entry names the records by id and the fields a command set by name, never their
values: the log stays free of what an erasure must remove.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from agents.context import Applied, Result
from core.clock import utcnow
from domain.audit import AuditAction, AuditDraft, draft
from topics.envelopes import CommandEnvelope

# The command's verb (`candidate.erase` → erase) as the log's action.
ACTIONS: dict[str, AuditAction] = {
    "create": "create",
    "record": "create",  # document.record: a resume read and recorded
    "schedule": "create",
    "submit": "create",
    "update": "update",
    "transition": "update",
    "set_status": "update",
    "delete": "delete",
    "erase": "erase",
    "merge": "merge",
}

# Keys of a payload or an event's data that name a record the command touched.
SUBJECT_KEYS = (
    "candidate_id",
    "duplicate_id",
    "survivor_id",
    "document_id",
    "submission_id",
    "placement_id",
    "interview_id",
    "feedback_id",
    "note_id",
    "subject_id",
    "contact_id",
    "client_id",
    "requisition_id",
    "saved_search_id",
)


def _ids(values: Mapping[str, Any]) -> list[UUID]:
    found: list[UUID] = []
    for key in SUBJECT_KEYS:
        value = values.get(key)
        if isinstance(value, UUID):
            found.append(value)
        elif isinstance(value, str):
            try:
                found.append(UUID(value))
            except ValueError:
                continue
    return found


def fields_set(payload: Mapping[str, Any]) -> list[str]:
    """The names of the fields a command sets: a patch's keys, or a payload's given fields."""
    changes = payload.get("changes")
    given = changes if isinstance(changes, Mapping) else payload
    return sorted(
        str(k) for k, v in given.items() if k not in SUBJECT_KEYS and v is not None and v != []
    )


def change_entry(command: CommandEnvelope, applied: Applied) -> AuditDraft:
    subject_type, _, verb = command.type.partition(".")
    related: list[UUID] = []
    for event in applied.events:
        related.append(event.aggregate_id)
        related.extend(_ids(event.data))
    related.extend(_ids(command.payload))
    return draft(
        command.tenant_id,
        ACTIONS.get(verb, "update"),
        actor=command.actor.id,
        actor_kind=command.actor.kind,
        at=utcnow(),
        subject_type=subject_type,
        subject_id=applied.resource_id,
        subject_ids=related,
        detail={
            "command_id": command.command_id,
            "command_type": command.type,
            "fields": fields_set(command.payload),
        },
        address=command.address,
    )


def change_entries(
    commands: Sequence[CommandEnvelope], results: Iterable[Result]
) -> list[AuditDraft]:
    """One entry per applied command (a rejected one changed nothing), in command order."""
    return [
        change_entry(command, result)
        for command, result in zip(commands, results, strict=True)
        if isinstance(result, Applied)
    ]
