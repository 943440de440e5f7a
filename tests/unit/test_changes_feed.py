"""What the changes feed keeps of an event: ids, type and version, never a field."""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from agents.changes.feed import changes_in
from topics.changes import FEED_PREFIXES, FEED_TYPES, change_of

TENANT = uuid.uuid4()


def _event(type: str, aggregate_id: uuid.UUID, version: int, **data: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": type,
        "tenant_id": str(TENANT),
        "aggregate_id": str(aggregate_id),
        "version": version,
        "occurred_at": "2026-11-29T10:00:00.5+00:00",
        "caused_by": str(uuid.uuid4()),
        "actor": {"id": "u", "kind": "user"},
        "data": data,
    }


def test_a_change_names_the_record_and_its_version_only() -> None:
    candidate = uuid.uuid4()
    event = _event("candidate.updated", candidate, 3, first_name="Ada", emails=["a@b.c"])
    change = change_of(event)
    assert change is not None
    assert (change.type, change.resource_type, change.resource_id, change.version) == (
        "candidate.updated",
        "candidate",
        candidate,
        3,
    )
    assert change.tenant_id == TENANT
    assert str(change.event_id) == event["event_id"]
    assert not change.erasure
    # Nothing of the record's fields: a dataclass of ids, names and numbers.
    assert "Ada" not in repr(change)
    assert "a@b.c" not in repr(change)


def test_a_resume_read_is_a_change_of_the_document() -> None:
    document = uuid.uuid4()
    change = change_of(_event("document.parsed", uuid.uuid4(), 0, id=str(document), text="cv"))
    assert change is not None
    assert (change.resource_type, change.resource_id, change.version) == ("document", document, 1)


def test_erasures_are_changes_and_alerts_are_not() -> None:
    erased = change_of(_event("candidate.erased", uuid.uuid4(), 0, erased_by="user:x"))
    assert erased is not None
    assert erased.erasure
    assert change_of(_event("saved_search.matched", uuid.uuid4(), 1)) is None


def test_what_is_not_an_event_is_skipped() -> None:
    assert change_of({"type": "candidate.created"}) is None
    assert change_of({**_event("candidate.created", uuid.uuid4(), 1), "tenant_id": "x"}) is None
    good = _event("client.created", uuid.uuid4(), 1)
    values = [None, b"not json", b"[1]", orjson.dumps(good)]
    assert [c.type for c in changes_in(values)] == ["client.created"]


def test_the_types_a_caller_may_ask_for() -> None:
    assert {"candidate.created", "candidate.erased", "submission.stage_changed"} <= set(FEED_TYPES)
    assert "saved_search.matched" not in FEED_TYPES
    assert {"candidate.*", "submission.*", "document.*"} <= set(FEED_PREFIXES)
