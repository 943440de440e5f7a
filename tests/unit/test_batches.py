"""Batch commands and batch events (topics/batches.py): rows as single commands, and batch
events expanded back into the single events a follower reads."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from topics import batches
from topics.batches import (
    MalformedBatch,
    Unreadable,
    batch_events,
    batch_tenant,
    expand_parsed,
    expand_parsed_records,
    expand_records,
    expand_values,
    row_command_id,
    row_commands,
)
from topics.envelopes import Actor, CommandEnvelope, EventEnvelope

TENANT = uuid.uuid4()


def _batch(rows: Any) -> CommandEnvelope:
    return CommandEnvelope(
        command_id=uuid.uuid4(),
        type="candidate.create_batch",
        tenant_id=TENANT,
        actor=Actor(id="import", kind="system"),
        reply=False,
        payload={"rows": rows},
    )


def _created(data: dict[str, Any] | None = None) -> EventEnvelope:
    return EventEnvelope(
        event_id=uuid.uuid4(),
        type="candidate.created",
        tenant_id=TENANT,
        aggregate_id=uuid.uuid4(),
        version=1,
        occurred_at=datetime.now(UTC),
        caused_by=uuid.uuid4(),
        actor=Actor(id="import", kind="system"),
        data=data or {"first_name": "rt1:sealed"},
    )


def test_each_row_is_the_single_create_it_stands_for() -> None:
    people = [uuid.uuid4(), uuid.uuid4()]
    batch = _batch(
        [
            {"first_name": "Ada", "candidate_id": str(people[0]), "row": 7},
            {"first_name": "Grace", "candidate_id": str(people[1]), "row": 9},
        ]
    )
    rows = row_commands(batch)
    assert [index for index, _ in rows] == [7, 9]
    first = rows[0][1]
    assert first.type == "candidate.create"
    assert first.command_id == row_command_id(batch.command_id, 7)
    assert first.payload == {"first_name": "Ada", "candidate_id": str(people[0])}
    assert first.subject_id == people[0]
    assert (first.tenant_id, first.actor) == (batch.tenant_id, batch.actor)
    # The same batch again names the same rows.
    assert [c.command_id for _, c in row_commands(batch)] == [c.command_id for _, c in rows]


@pytest.mark.parametrize(
    "rows",
    [
        [],
        "rows",
        [{"first_name": "Ada"}],
        [{"row": -1}],
        [{"row": True}],
        [{"row": 1}, {"row": 1}],
    ],
)
def test_rows_that_cannot_be_told_apart_refuse_the_batch(rows: Any) -> None:
    with pytest.raises(MalformedBatch):
        row_commands(_batch(rows))


def test_a_batch_s_events_travel_as_one_message_and_expand_back() -> None:
    batch = _batch([])
    events = [_created() for _ in range(3)]
    [one] = batch_events(batch, events)
    assert one.type == "candidate.created_batch"
    assert one.aggregate_id == batch.command_id
    assert [one.event_id] == [e.event_id for e in batch_events(batch, events)]  # stable
    value = one.model_dump_json().encode()
    assert batch_tenant(value) == str(TENANT)
    single = events[0].model_dump_json().encode()
    assert batch_tenant(single) is None

    expanded = expand_values([value, None, single])
    assert [EventEnvelope.model_validate_json(v) for v in expanded if v] == [*events, events[0]]
    assert expanded[3] is None
    keyed = expand_records([(b"batch", value)])
    assert [k for k, _ in keyed] == [str(e.aggregate_id).encode() for e in events]


def test_a_big_batch_leaves_as_several_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batches, "EVENT_BYTES", 2_000)
    events = [_created({"headline": "x" * 600}) for _ in range(10)]
    parts = batch_events(_batch([]), events)
    assert len(parts) > 1
    assert all(len(orjson.dumps(p.data)) < 4_000 for p in parts)
    assert len({p.event_id for p in parts}) == len(parts)
    values = [p.model_dump_json().encode() for p in parts]
    assert [EventEnvelope.model_validate_json(v or b"") for v in expand_values(values)] == events


def test_parsed_expansion_gives_what_the_messages_would_have_parsed_to() -> None:
    batch = _batch([])
    events = [_created() for _ in range(3)]
    [one] = batch_events(batch, events)
    value = one.model_dump_json().encode()
    single = events[0].model_dump_json().encode()
    values = [value, None, single, b"not json", b"[1]"]
    parsed = expand_parsed(values)
    as_messages = expand_values(values)
    assert len(parsed) == len(as_messages)
    for item, message in zip(parsed, as_messages, strict=True):
        if message is None:
            assert item is None
        elif isinstance(item, Unreadable):
            assert item.value == message
        else:
            assert item == orjson.loads(message)
    # Keyed: a single event keeps its message (key and bytes); a member is keyed by its
    # aggregate, its bytes those `expand_records` gives when dumped.
    records = [(b"batch", value), (b"own", single), (b"gone", None)]
    keyed = expand_parsed_records(records)
    old = expand_records(records)
    assert [k for k, _, _ in keyed] == [k for k, _ in old]
    assert [v if v is not None or p is None else orjson.dumps(p) for _, p, v in keyed] == [
        v for _, v in old
    ]
    assert keyed[3] == (b"own", orjson.loads(single), single)
