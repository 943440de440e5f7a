"""The audit log in Postgres: appends chained per agency, in bulk and concurrently, and read back
exactly as they were hashed."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from core.clock import utcnow
from domain.audit import AuditDraft, draft
from stores.bundle import Stores
from stores.postgres import audit
from stores.postgres.bulk import BULK_MIN_ROWS
from stores.postgres.keyset import Window

pytestmark = pytest.mark.stack


def _reads(tenant_id: uuid.UUID, n: int, subject: uuid.UUID | None = None) -> list[AuditDraft]:
    return [
        draft(
            tenant_id,
            "read",
            actor=f"user-{i % 3}",
            actor_kind="user",
            at=utcnow(),
            subject_type="candidate",
            subject_id=subject or uuid.uuid4(),
            subject_ids=[uuid.uuid4()],
            detail={"view": "profile", "count": i, "fields": ["emails", "tags"], "ok": True},
            address="2001:db8::1",
        )
        for i in range(n)
    ]


async def test_bulk_and_single_appends_chain_and_verify(stores: Stores) -> None:
    tenant_id = uuid.uuid4()
    async with stores.db.transaction() as conn:
        bulk = await audit.append(conn, _reads(tenant_id, BULK_MIN_ROWS + 8))  # COPY
    async with stores.db.transaction() as conn:
        single = await audit.append(conn, _reads(tenant_id, 2))
    assert [e.seq for e in [*bulk, *single]] == list(range(1, BULK_MIN_ROWS + 11))
    assert single[0].prev_hash == bulk[-1].hash
    async with stores.db.snapshot() as conn:
        verdict = await audit.verify_chain(conn, tenant_id, page_size=7)
        head = await audit.head_of(conn, tenant_id)
    assert verdict.intact, verdict.broken
    assert verdict.entries == BULK_MIN_ROWS + 10
    assert head.hash == single[-1].hash


async def test_concurrent_appends_of_one_agency_make_one_line(stores: Stores) -> None:
    tenant_id = uuid.uuid4()

    async def append_one() -> None:
        async with stores.db.transaction() as conn:
            await audit.append(conn, _reads(tenant_id, 1))

    await asyncio.gather(*(append_one() for _ in range(12)))
    async with stores.db.snapshot() as conn:
        verdict = await audit.verify_chain(conn, tenant_id)
    assert verdict.intact, verdict.broken
    assert verdict.entries == 12


async def test_a_rolled_back_transaction_leaves_no_entry_and_no_gap(stores: Stores) -> None:
    tenant_id = uuid.uuid4()

    class Abandoned(Exception):
        pass

    async def append_then_fail() -> None:
        async with stores.db.transaction() as conn:
            await audit.append(conn, _reads(tenant_id, 3))
            raise Abandoned

    with pytest.raises(Abandoned):
        await append_then_fail()
    async with stores.db.transaction() as conn:
        [entry] = await audit.append(conn, _reads(tenant_id, 1))
    assert entry.seq == 1


async def test_pages_filter_and_find_what_names_a_record(stores: Stores) -> None:
    tenant_id, other = uuid.uuid4(), uuid.uuid4()
    person = uuid.uuid4()
    started = utcnow()
    async with stores.db.transaction() as conn:
        await audit.append(conn, _reads(tenant_id, 5))
        about = await audit.append(conn, _reads(tenant_id, 2, subject=person))
        await audit.append(conn, _reads(other, 2, subject=person))
    async with stores.db.read() as conn:
        newest, after = await audit.page(conn, tenant_id, Window(limit=3))
        older, last = await audit.page(conn, tenant_id, Window(limit=10, after=after))
        oldest_first, _ = await audit.page(conn, tenant_id, Window(limit=2, sort="created_at"))
        ten = Window(limit=10)
        theirs, _ = await audit.page(conn, tenant_id, ten, subject_id=person)
        listed, _ = await audit.page(conn, tenant_id, ten, subject_id=about[0].subject_ids[1])
        by_actor, _ = await audit.page(conn, tenant_id, ten, actor="user-1")
        none_yet, _ = await audit.page(conn, tenant_id, ten, until=started)
        window, _ = await audit.page(
            conn, tenant_id, ten, since=started, until=utcnow() + timedelta(seconds=1)
        )
        found = await audit.entries_about(conn, tenant_id, [person, uuid.uuid4()])
    assert [e.seq for e in newest] == [7, 6, 5]
    assert after == (5, newest[-1].id)
    assert [e.seq for e in older] == [4, 3, 2, 1]
    assert last is None
    assert [e.seq for e in oldest_first] == [1, 2]
    assert [e.seq for e in theirs] == [7, 6]
    assert [e.seq for e in listed] == [6]
    assert {e.actor for e in by_actor} == {"user-1"}
    assert none_yet == []
    assert len(window) == 7
    assert [e.seq for e in found] == [6, 7]  # oldest first, and only this agency's
    # Read back exactly as hashed: the detail, the ids, the time.
    assert found[0] == about[0]
