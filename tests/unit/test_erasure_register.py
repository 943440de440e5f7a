"""topics/erasures.py: what an erasure leaves in the register, and the command it gives back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from topics.candidates import CANDIDATE_ERASE
from topics.clients import CONTACT_ERASE
from topics.envelopes import Actor, EventEnvelope
from topics.erasures import ErasureRecord, record_of
from topics.names import CANDIDATE_COMMANDS, CLIENT_COMMANDS

TENANT = uuid.uuid4()


def _event(type_: str, aggregate: uuid.UUID, data: dict[str, str]) -> EventEnvelope:
    return EventEnvelope(
        event_id=uuid.uuid4(),
        type=type_,
        tenant_id=TENANT,
        aggregate_id=aggregate,
        version=2,
        occurred_at=datetime(2026, 11, 30, 4, 0, tzinfo=UTC),
        caused_by=uuid.uuid4(),
        actor=Actor(id="someone"),
        data=data,
    )


def test_a_candidate_erasure_is_registered_by_ids_alone_and_gives_back_its_command() -> None:
    candidate = uuid.uuid4()
    record = record_of(_event("candidate.erased", candidate, {"erased_by": "user:x"}))
    assert record is not None
    assert record.model_dump(mode="json").keys() == {
        "kind",
        "tenant_id",
        "id",
        "erased_at",
        "client_id",
    }
    assert record.key == f"{TENANT}:candidate:{candidate}".encode()
    spec, kind, key, payload = record.erase_command()
    assert (spec, kind, key) == (CANDIDATE_COMMANDS, CANDIDATE_ERASE, candidate)
    assert payload == {"candidate_id": str(candidate)}


def test_a_contact_erasure_keeps_its_client_for_the_command() -> None:
    contact, client = uuid.uuid4(), uuid.uuid4()
    record = record_of(_event("contact.erased", contact, {"client_id": str(client)}))
    assert record is not None
    spec, kind, key, payload = record.erase_command()
    assert (spec, kind, key) == (CLIENT_COMMANDS, CONTACT_ERASE, client)
    assert payload == {"contact_id": str(contact), "client_id": str(client)}


def test_other_events_leave_nothing() -> None:
    assert record_of(_event("candidate.updated", uuid.uuid4(), {})) is None


def test_a_record_reads_back_from_its_json() -> None:
    record = ErasureRecord(
        kind="candidate", tenant_id=TENANT, id=uuid.uuid4(), erased_at=datetime.now(UTC)
    )
    assert ErasureRecord.model_validate_json(record.model_dump_json()) == record
