"""The gateway's audit entries by group commit (stores/audit_appends.py), against the real
Postgres: concurrent reads of two agencies make two intact chains holding every entry; the
entries that come while one write is in flight share the next; nobody is answered before
their entry committed; a head another process moved is caught up with; one bad entry
fails only its own caller; Postgres away fails every caller, and writes nothing."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import text

from core.clock import utcnow
from core.errors import StoreUnavailable
from core.settings import Settings
from domain.audit import AuditDraft, draft
from stores.audit_appends import AuditAppends
from stores.bundle import Stores
from stores.postgres import audit
from stores.postgres.database import Database
from tests.harness.processes import free_port
from tests.support import statements_sent

pytestmark = pytest.mark.stack


def _search(tenant_id: uuid.UUID, n: int = 1) -> AuditDraft:
    return draft(
        tenant_id,
        "list",
        actor=f"user-{n}",
        actor_kind="user",
        at=utcnow(),
        subject_type="candidate",
        subject_ids=[uuid.uuid4() for _ in range(n)],
        detail={"view": "search", "items": "candidate", "count": n},
        address="127.0.0.1",
    )


def _group_writes(stores: Stores) -> contextlib.AbstractContextManager[list[str]]:
    """The statements on a remembered head this process sends while the block runs."""
    return statements_sent(stores, lambda sql: sql.startswith("WITH locked AS"))


async def _intact(stores: Stores, tenant_id: uuid.UUID) -> int:
    async with stores.db.snapshot() as conn:
        verdict = await audit.verify_chain(conn, tenant_id)
    assert verdict.intact, verdict.broken
    return verdict.entries


async def _ids(stores: Stores, tenant_id: uuid.UUID) -> set[uuid.UUID]:
    async with stores.db.read() as conn:
        found = await conn.execute(
            text("SELECT id FROM audit_log WHERE tenant_id = :t"), {"t": tenant_id}
        )
        return {row.id for row in found}


@contextlib.asynccontextmanager
async def _head_locked(stores: Stores, tenant_id: uuid.UUID) -> AsyncIterator[None]:
    """The agency's head locked, as a worker's transaction recording a change holds it:
    the write in flight waits, and what comes meanwhile gathers behind it."""
    async with stores.db.transaction() as conn:
        await conn.execute(
            text("SELECT 1 FROM audit_heads WHERE tenant_id = :t FOR UPDATE"), {"t": tenant_id}
        )
        yield


async def _until(check: Any, what: str) -> None:
    for _ in range(300):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def test_concurrent_reads_of_two_agencies_make_two_intact_chains(stores: Stores) -> None:
    one, two = uuid.uuid4(), uuid.uuid4()
    appends = AuditAppends(stores.db)
    # Each agency's first entry makes its head (the locking path); the rest are grouped.
    await asyncio.gather(appends.append(_search(one)), appends.append(_search(two)))
    drafts = [_search(t, n) for n in range(1, 41) for t in (one, two)]
    with _group_writes(stores) as writes:
        entries = await asyncio.gather(*(appends.append(d) for d in drafts))
    # Fewer statements than reads: those that came while one was in flight went together.
    assert 1 <= len(writes) < len(drafts)
    for tenant_id in (one, two):
        mine = [e for e in entries if e.tenant_id == tenant_id]
        # Chained in the order the reads came, each once.
        assert [e.seq for e in mine] == list(range(2, 42))
        assert await _intact(stores, tenant_id) == 41
        assert {e.id for e in mine} <= await _ids(stores, tenant_id)
    # Each answer is the entry as stored.
    assert [e.subject_ids for e in entries] == [d.subject_ids for d in drafts]


async def test_a_group_waits_for_its_commit_and_a_cancelled_caller_leaves_it(
    stores: Stores,
) -> None:
    tenant_id = uuid.uuid4()
    appends = AuditAppends(stores.db)
    await appends.append(_search(tenant_id))
    with _group_writes(stores) as writes:
        async with _head_locked(stores, tenant_id):
            leading = asyncio.create_task(appends.append(_search(tenant_id)))
            await _until(lambda: len(writes) == 1, "the first write")
            following = [asyncio.create_task(appends.append(_search(tenant_id))) for _ in range(10)]
            await asyncio.sleep(0.1)
            # A caller that gives up (a client gone) leaves its entry to the group.
            following[0].cancel()
            await asyncio.sleep(0.05)
            # None is answered while the head is held: nothing is committed yet.
            assert not any(t.done() for t in [leading, *following[1:]])
        entries = await asyncio.gather(leading, *following[1:])
    # The ten that came during the first write went together in the second.
    assert len(writes) == 2
    assert [e.seq for e in entries] == [2, *range(4, 13)]
    # The cancelled caller's entry is there too (seq 3): every read that was asked for.
    assert await _intact(stores, tenant_id) == 12


async def test_a_head_moved_elsewhere_is_caught_up_with(stores: Stores) -> None:
    tenant_id = uuid.uuid4()
    appends = AuditAppends(stores.db)
    await appends.append(_search(tenant_id))
    # Another process (a worker recording a change, another gateway) appends meanwhile.
    async with stores.db.transaction() as conn:
        await audit.append(conn, [_search(tenant_id), _search(tenant_id)])
    with _group_writes(stores) as writes:
        entry = await appends.append(_search(tenant_id))
    # The remembered head was stale: the first statement wrote nothing and brought the
    # head back; the second wrote the entry on it.
    assert len(writes) == 2
    assert entry.seq == 4
    assert await _intact(stores, tenant_id) == 4


async def test_one_bad_entry_fails_only_its_caller(stores: Stores) -> None:
    tenant_id = uuid.uuid4()
    appends = AuditAppends(stores.db)
    await appends.append(_search(tenant_id))
    # Longer than the column takes: Postgres refuses it (a bug's entry, say).
    bad = replace(_search(tenant_id), actor="x" * 300)
    async with _head_locked(stores, tenant_id):
        leading = asyncio.create_task(appends.append(_search(tenant_id)))
        await asyncio.sleep(0.1)
        group = [asyncio.create_task(appends.append(d)) for d in (_search(tenant_id), bad)]
        group.append(asyncio.create_task(appends.append(_search(tenant_id))))
        await asyncio.sleep(0.05)
    results = await asyncio.gather(leading, *group, return_exceptions=True)
    assert isinstance(results[2], Exception)
    assert not isinstance(results[2], StoreUnavailable)
    assert [r.seq for r in results if not isinstance(r, BaseException)] == [2, 3, 4]
    assert await _intact(stores, tenant_id) == 4


async def test_postgres_away_fails_every_caller_and_writes_nothing(stores: Stores) -> None:
    tenant_id = uuid.uuid4()
    nowhere = Database(Settings(POSTGRES_PORT=free_port()))
    await nowhere.start()
    try:
        appends = AuditAppends(nowhere)
        results = await asyncio.gather(
            *(appends.append(_search(tenant_id)) for _ in range(5)), return_exceptions=True
        )
    finally:
        await nowhere.stop()
    assert all(isinstance(r, StoreUnavailable) for r in results), results
    assert await _ids(stores, tenant_id) == set()


async def test_a_connection_dropped_mid_write_fails_its_group_only(stores: Stores) -> None:
    tenant_id = uuid.uuid4()
    appends = AuditAppends(stores.db)
    await appends.append(_search(tenant_id))

    async def blocked() -> list[int]:
        async with stores.db.read() as conn:
            found = await conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND query LIKE 'WITH locked AS%' AND wait_event_type = 'Lock'"
                )
            )
            return [row.pid for row in found]

    async with _head_locked(stores, tenant_id):
        leading = asyncio.create_task(appends.append(_search(tenant_id)))
        for _ in range(300):
            if pids := await blocked():
                break
            await asyncio.sleep(0.01)
        following = asyncio.create_task(appends.append(_search(tenant_id)))
        async with stores.db.read() as conn:
            for pid in pids:
                await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        # Postgres ended the write in flight: its caller is told (the gateway's 503).
        with pytest.raises(StoreUnavailable):
            await leading
    # The next group goes on, on the head as it is.
    assert (await following).seq == 2
    assert await _intact(stores, tenant_id) == 2


async def _deadlocks(stores: Stores) -> int:
    async with stores.db.read() as conn:
        found = await conn.execute(
            text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        )
        return int(found.scalar_one())


async def test_group_writes_and_locking_transactions_of_two_agencies_make_one_line(
    stores: Stores,
) -> None:
    one, two = uuid.uuid4(), uuid.uuid4()
    appends = AuditAppends(stores.db)
    await asyncio.gather(appends.append(_search(one)), appends.append(_search(two)))

    async def worker_batch() -> None:
        # A worker's apply recording changes in both agencies: it holds both heads until
        # it commits, as the group's statement takes them, in id order.
        async with stores.db.transaction() as conn:
            await audit.append(conn, [_search(two), _search(one)])
            await asyncio.sleep(0.01)

    deadlocks = await _deadlocks(stores)
    work: list[Any] = []
    for i in range(20):
        work += [appends.append(_search(one)), appends.append(_search(two))]
        if i % 3 == 0:
            work.append(worker_batch())
    await asyncio.wait_for(asyncio.gather(*work), timeout=120)
    assert await _deadlocks(stores) == deadlocks
    for tenant_id in (one, two):
        assert await _intact(stores, tenant_id) == 1 + 20 + 7
