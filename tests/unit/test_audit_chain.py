"""The audit log's hash chain (domain/audit.py): built, verified, and every tamper found."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.audit import (
    GENESIS_HASH,
    AuditDraft,
    AuditEntry,
    ChainHead,
    ChainWalker,
    chain,
    draft,
    entry_hash,
    safe_detail,
    verify,
)

TENANT = uuid.UUID("00000000-0000-4000-8000-000000000001")
AT = datetime(2026, 11, 30, 9, 15, 30, 123456, tzinfo=UTC)


def _drafts(n: int, tenant: uuid.UUID = TENANT) -> list[AuditDraft]:
    return [
        draft(
            tenant,
            "read",
            actor="u-1",
            actor_kind="user",
            at=AT + timedelta(seconds=i),
            subject_type="candidate",
            subject_id=uuid.UUID(int=i + 1),
            detail={"view": "profile"},
            address="198.51.100.7",
        )
        for i in range(n)
    ]


def _chain(n: int) -> tuple[list[AuditEntry], ChainHead]:
    drafts = _drafts(n)
    return chain(ChainHead(), drafts, [uuid.UUID(int=1000 + i) for i in range(n)])


def test_entries_are_numbered_from_one_and_each_holds_the_hash_of_the_one_before() -> None:
    entries, head = _chain(3)
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS_HASH
    assert entries[1].prev_hash == entries[0].hash
    assert entries[2].prev_hash == entries[1].hash
    assert head == ChainHead(3, entries[2].hash)
    assert all(entry_hash(e) == e.hash and len(e.hash) == 64 for e in entries)


def test_appending_continues_from_the_head() -> None:
    first, head = _chain(2)
    more, new_head = chain(head, _drafts(2), [uuid.uuid4(), uuid.uuid4()])
    assert [e.seq for e in more] == [3, 4]
    assert more[0].prev_hash == first[-1].hash
    assert verify([*first, *more], new_head).intact


def test_the_hash_is_stable_and_covers_every_field() -> None:
    entries, _ = _chain(1)
    entry = entries[0]
    # The same content hashes the same, whatever zone its time was given in.
    shifted = dataclasses.replace(entry, at=entry.at.astimezone(timezone(timedelta(hours=5))))
    assert entry_hash(shifted) == entry.hash
    changes = {
        "tenant_id": uuid.uuid4(),
        "seq": 2,
        "at": entry.at + timedelta(microseconds=1),
        "action": "update",
        "actor": "u-2",
        "actor_kind": "api_key",
        "address": "203.0.113.1",
        "subject_type": "contact",
        "subject_id": uuid.uuid4(),
        "subject_ids": (uuid.uuid4(),),
        "detail": {"view": "timeline"},
        "prev_hash": "f" * 64,
    }
    for name, value in changes.items():
        assert entry_hash(dataclasses.replace(entry, **{name: value})) != entry.hash, name


def test_an_intact_chain_verifies() -> None:
    entries, head = _chain(5)
    verdict = verify(entries, head)
    assert verdict.intact
    assert verdict.entries == 5
    assert verify([], ChainHead()).intact


def test_a_changed_entry_is_found_at_its_seq() -> None:
    entries, head = _chain(5)
    entries[2] = dataclasses.replace(entries[2], actor="someone-else")
    broken = verify(entries, head).broken
    assert broken is not None
    assert broken.seq == 3
    assert "content" in broken.reason


def test_a_changed_entry_with_its_hash_recomputed_breaks_the_next_link() -> None:
    entries, head = _chain(5)
    forged = dataclasses.replace(entries[1], address="10.0.0.1")
    entries[1] = dataclasses.replace(forged, hash=entry_hash(forged))
    broken = verify(entries, head).broken
    assert broken is not None
    assert broken.seq == 3
    assert "link" in broken.reason


def test_a_deleted_entry_is_found_at_its_seq() -> None:
    entries, head = _chain(5)
    del entries[3]
    broken = verify(entries, head).broken
    assert broken is not None
    assert broken.seq == 4
    assert "missing" in broken.reason


def test_entries_cut_off_the_end_are_found_by_the_head() -> None:
    entries, head = _chain(5)
    broken = verify(entries[:3], head).broken
    assert broken is not None
    assert broken.seq == 4
    # An empty chain whose head says otherwise: everything is missing.
    gone = verify([], head).broken
    assert gone is not None
    assert gone.seq == 1


def test_a_head_that_disagrees_with_the_newest_entry_is_a_break() -> None:
    entries, head = _chain(3)
    broken = verify(entries, ChainHead(head.seq, "a" * 64)).broken
    assert broken is not None
    assert broken.seq == 3


def test_the_walker_checks_page_by_page_and_stops_at_the_first_break() -> None:
    entries, head = _chain(6)
    entries[4] = dataclasses.replace(entries[4], detail={"view": "export"})
    walker = ChainWalker()
    assert walker.feed(entries[:3]) is None
    broken = walker.feed(entries[3:])
    assert broken is not None
    assert broken.seq == 5
    assert walker.finish(head).entries == 4


def test_one_agency_at_a_time_and_one_id_per_entry() -> None:
    mixed = [*_drafts(1), *_drafts(1, uuid.uuid4())]
    with pytest.raises(ValueError, match="one agency"):
        chain(ChainHead(), mixed, [uuid.uuid4(), uuid.uuid4()])
    with pytest.raises(ValueError, match="one id per draft"):
        chain(ChainHead(), _drafts(2), [uuid.uuid4()])


def test_a_draft_puts_its_subject_first_among_its_ids_once() -> None:
    subject, other = uuid.uuid4(), uuid.uuid4()
    made = draft(
        TENANT,
        "list",
        actor="u",
        actor_kind="user",
        at=AT,
        subject_id=subject,
        subject_ids=[other, subject, other],
    )
    assert made.subject_ids == (subject, other)
    with pytest.raises(ValueError, match="unknown audit action"):
        draft(TENANT, "peek", actor="u", actor_kind="user", at=AT)  # type: ignore[arg-type]


def test_a_detail_holds_ids_names_and_counts_never_free_text() -> None:
    some_id = uuid.uuid4()
    assert safe_detail({"view": "profile", "count": 3, "ids": [some_id], "inline": False}) == {
        "view": "profile",
        "count": 3,
        "ids": [str(some_id)],
        "inline": False,
    }
    with pytest.raises(ValueError, match="an id, a name or a count"):
        safe_detail({"note": "x" * 500})
    with pytest.raises(ValueError, match="an id, a name or a count"):
        safe_detail({"score": 0.5})
    with pytest.raises(ValueError, match="an id, a name or a count"):
        safe_detail({"profile": {"first_name": "Ada"}})


def test_a_chain_rewritten_wholesale_no_longer_passes_through_an_older_anchor() -> None:
    entries, head = _chain(4)
    anchor = ChainHead(2, entries[1].hash)
    assert verify(entries, head, anchor).intact
    # Rewrite from entry 2 on, head included: consistent on its own, not with the anchor.
    forged, forged_head = chain(
        ChainHead(1, entries[0].hash), _drafts(3), [uuid.uuid4() for _ in range(3)]
    )
    rewritten = [entries[0], *forged]
    assert verify(rewritten, forged_head).intact
    broken = verify(rewritten, forged_head, anchor).broken
    assert broken is not None
    assert broken.seq == 2
    # A chain cut back below the anchor (and its head with it) is found too.
    short = verify(entries[:1], ChainHead(1, entries[0].hash), anchor).broken
    assert short is not None
    assert short.seq == 2
