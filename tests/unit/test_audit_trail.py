"""The audit entries a worker writes for the commands it applied (agents/audit_trail.py)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from agents.audit_trail import change_entries, fields_set
from agents.context import Applied, new_event
from core.errors import Duplicate
from topics.envelopes import Actor, CommandEnvelope

TENANT = uuid.uuid4()


def _command(type_: str, payload: dict[str, Any], **fields: Any) -> CommandEnvelope:
    return CommandEnvelope(
        command_id=uuid.uuid4(),
        type=type_,
        tenant_id=TENANT,
        actor=Actor(id="user-7", kind="user"),
        payload=payload,
        **fields,
    )


def test_an_update_names_the_fields_it_set_never_their_values() -> None:
    candidate_id = uuid.uuid4()
    command = _command(
        "candidate.update",
        {
            "candidate_id": str(candidate_id),
            "changes": {"emails": ["ada@example.com"], "headline": "CTO", "phones": None},
        },
        address="198.51.100.7",
    )
    [entry] = change_entries([command], [Applied(candidate_id)])
    assert entry.action == "update"
    assert (entry.subject_type, entry.subject_id) == ("candidate", candidate_id)
    assert entry.detail["fields"] == ["emails", "headline"]
    assert entry.detail["command_id"] == str(command.command_id)
    assert (entry.actor, entry.actor_kind, entry.address) == ("user-7", "user", "198.51.100.7")
    text = json.dumps(dict(entry.detail))
    assert "ada@example.com" not in text
    assert "CTO" not in text


def test_a_create_names_the_fields_given() -> None:
    candidate_id = uuid.uuid4()
    command = _command(
        "candidate.create",
        {"candidate_id": str(candidate_id), "first_name": "Ada", "last_name": "L", "tags": []},
    )
    [entry] = change_entries([command], [Applied(candidate_id)])
    assert entry.action == "create"
    assert entry.detail["fields"] == ["first_name", "last_name"]
    assert entry.address is None  # a command without an address: a job's


def test_the_records_a_command_touched_are_among_its_subjects() -> None:
    survivor, duplicate = uuid.uuid4(), uuid.uuid4()
    command = _command(
        "candidate.merge", {"candidate_id": str(survivor), "duplicate_id": str(duplicate)}
    )
    event = new_event(command, type="candidate.updated", aggregate_id=duplicate, version=2, data={})
    [entry] = change_entries([command], [Applied(survivor, [event])])
    assert entry.action == "merge"
    assert entry.subject_ids == (survivor, duplicate)

    submission, placement, requisition = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    move = _command("submission.transition", {"submission_id": str(submission), "to": "placed"})
    placed = new_event(
        move,
        type="placement.created",
        aggregate_id=placement,
        version=1,
        data={"candidate_id": str(survivor), "requisition_id": str(requisition)},
    )
    [entry] = change_entries([move], [Applied(submission, [placed])])
    assert entry.action == "update"
    assert entry.subject_type == "submission"
    assert set(entry.subject_ids) == {submission, placement, survivor, requisition}
    assert entry.detail["fields"] == ["to"]


def test_only_applied_commands_make_entries() -> None:
    applied, refused = uuid.uuid4(), uuid.uuid4()
    commands = [
        _command("candidate.erase", {"candidate_id": str(applied)}),
        _command("candidate.erase", {"candidate_id": str(refused)}),
    ]
    entries = change_entries(commands, [Applied(applied), Duplicate("taken")])
    assert [(e.action, e.subject_id) for e in entries] == [("erase", applied)]


def test_fields_set_leaves_out_ids_and_empty_values() -> None:
    assert fields_set({"note_id": "x", "subject_id": "y", "body": "secret", "kind": None}) == [
        "body"
    ]
