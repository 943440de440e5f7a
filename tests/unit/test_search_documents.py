from __future__ import annotations

import uuid

from agents.search_indexer.agent import IndexBatch, documents_from
from agents.search_indexer.documents import candidate_document
from agents.search_indexer.events import readable_events
from core.clock import utcnow
from topics.envelopes import Actor, EventEnvelope


def _documents(values: list[bytes | None]) -> IndexBatch:
    return documents_from(list(readable_events(values, "candidate")))


def _event(candidate_id: uuid.UUID, version: int, headline: str) -> bytes:
    now = utcnow()
    return (
        EventEnvelope(
            event_id=uuid.uuid4(),
            type="candidate.created",
            tenant_id=uuid.uuid4(),
            aggregate_id=candidate_id,
            version=version,
            occurred_at=now,
            caused_by=uuid.uuid4(),
            actor=Actor(id="u1"),
            data={
                "id": str(candidate_id),
                "tenant_id": str(uuid.uuid4()),
                "version": version,
                "created_at": now.isoformat(),
                "updated_at": now.isoformat(),
                "first_name": "Grace",
                "last_name": "Hopper",
                "headline": headline,
                "skills": [{"name": "COBOL"}],
            },
        )
        .model_dump_json()
        .encode()
    )


def test_a_batch_keeps_the_newest_version_of_each_candidate() -> None:
    cid = uuid.uuid4()
    docs = list(_documents([_event(cid, 2, "new"), _event(cid, 1, "old")]).docs.values())
    assert [(d["id"], d["version"], d["headline"]) for d in docs] == [(str(cid), 2, "new")]
    assert docs[0]["full_name"] == "Grace Hopper"
    assert docs[0]["skills"] == ["COBOL"]


def test_garbage_in_a_batch_is_skipped_not_fatal() -> None:
    cid = uuid.uuid4()
    docs = _documents([b"{oops", None, _event(cid, 1, "ok")]).docs
    assert list(docs) == [str(cid)]


def test_an_erasure_in_a_batch_wins_over_earlier_and_later_documents() -> None:
    cid = uuid.uuid4()
    erased = (
        EventEnvelope(
            event_id=uuid.uuid4(),
            type="candidate.erased",
            tenant_id=uuid.uuid4(),
            aggregate_id=cid,
            version=0,
            occurred_at=utcnow(),
            caused_by=uuid.uuid4(),
            actor=Actor(id="u1"),
            data={},
        )
        .model_dump_json()
        .encode()
    )
    batch = _documents([_event(cid, 1, "x"), erased, None, _event(cid, 2, "late")])
    assert batch.docs == {}
    assert batch.erased == {str(cid)}


def test_jobs_descriptions_are_searchable_text_and_their_skills_keys() -> None:
    doc = candidate_document(
        {
            "id": "c1",
            "tenant_id": "t1",
            "first_name": "Grace",
            "last_name": "Hopper",
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "version": 1,
            "work_history": [
                {"employer": "Hooli", "title": "Engineer", "description": "Payments in golang."},
                {"employer": "Initech", "title": "Engineer"},
            ],
        }
    )
    assert doc["work_descriptions"] == ["Payments in golang."]
    assert doc["work_skill_keys"] == ["go"]
