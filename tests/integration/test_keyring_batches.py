"""Person keys of concurrent creates made together (stores/keyring.py `_make`), against the
real Postgres: the requests that come while one insert is in flight share the next one;
each key is stored before anyone has it; a failure reaches every request it concerns, and
only those."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text

from core.errors import StoreUnavailable
from stores.bundle import Stores
from stores.keyring import Keyring
from stores.postgres import keys as repo
from tests.support import new_agency, statements_sent, stored_person_keys

pytestmark = pytest.mark.stack


def _key_inserts(stores: Stores) -> contextlib.AbstractContextManager[list[str]]:
    """The INSERTs of person keys this process sends while the block runs."""
    return statements_sent(stores, lambda sql: sql.startswith("INSERT INTO person_keys"))


@contextlib.asynccontextmanager
async def _table_locked(stores: Stores) -> AsyncIterator[None]:
    """person_keys locked against inserts until the block ends: the first insert stays in
    flight, and what comes meanwhile gathers behind it."""
    async with stores.db.transaction() as conn:
        await conn.execute(text("LOCK TABLE person_keys IN SHARE ROW EXCLUSIVE MODE"))
        yield


async def _until(check: Any, what: str) -> None:
    for _ in range(200):
        found = check()
        if await found if asyncio.iscoroutine(found) else found:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def _blocked_inserts(stores: Stores) -> list[int]:
    """Backends of this database waiting in an INSERT of person keys."""
    async with stores.db.read() as conn:
        found = await conn.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND query LIKE 'INSERT INTO person_keys%' AND wait_event_type = 'Lock'"
            )
        )
        return [row.pid for row in found]


async def test_concurrent_creates_share_one_insert(stores: Stores) -> None:
    tenant = await new_agency(stores, "b")
    ring = Keyring(stores.db, stores.settings)
    await ring.agency_key(tenant)  # the agency's key exists: only person keys are inserted
    first, *others = [uuid.uuid4() for _ in range(21)]
    with _key_inserts(stores) as inserts:
        async with _table_locked(stores):
            leading = asyncio.create_task(ring.person(tenant, first, create_as="candidate"))
            await _until(lambda: len(inserts) == 1, "the first insert")
            following = [
                asyncio.create_task(ring.person(tenant, p, create_as="candidate")) for p in others
            ]
            await asyncio.sleep(0.05)
            # One that gives up (a client gone) leaves the group to the others.
            following[0].cancel()
            # None has its key while the insert is not committed.
            assert not any(t.done() for t in [leading, *following[1:]])
        keys = await asyncio.gather(leading, *following[1:])
    # The twenty that came during the first insert went together in the second.
    assert len(inserts) == 2
    assert all(keys)
    assert len(set(keys)) == 20
    # Stored, the cancelled one's too (as a refused create's key is: see
    # delete_unused_person_keys), and the same for another process.
    assert await stored_person_keys(stores, tenant, [first, *others]) == {first, *others}
    other = Keyring(stores.db, stores.settings)
    assert await other.person(tenant, others[5]) == keys[5]
    # Erased: gone for every process that has not cached it.
    async with stores.db.transaction() as conn:
        await repo.delete_person_keys(conn, tenant, [others[5]])
    assert await Keyring(stores.db, stores.settings).person(tenant, others[5]) is None


async def test_a_failed_insert_fails_every_request_waiting_for_it(stores: Stores) -> None:
    tenant = await new_agency(stores, "b")
    ring = Keyring(stores.db, stores.settings)
    await ring.agency_key(tenant)
    first, *others = [uuid.uuid4() for _ in range(5)]
    async with _table_locked(stores):
        leading = asyncio.create_task(ring.person(tenant, first, create_as="candidate"))
        await _until(lambda: _blocked_inserts(stores), "the first insert")
        following = [
            asyncio.create_task(ring.person(tenant, p, create_as="candidate")) for p in others
        ]
        await asyncio.sleep(0.05)
        # Postgres drops the connection of the insert in flight, then of the next one
        # (the four that came meanwhile): each request is told, as StoreUnavailable (the
        # gateway's 503), never a key.
        async with stores.db.read() as conn:
            for pid in await _blocked_inserts(stores):
                await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(StoreUnavailable):
            await leading
        await _until(lambda: _blocked_inserts(stores), "the second insert")
        async with stores.db.read() as conn:
            for pid in await _blocked_inserts(stores):
                await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        results = await asyncio.gather(*following, return_exceptions=True)
    assert all(isinstance(r, StoreUnavailable) for r in results), results
    assert await stored_person_keys(stores, tenant, [first, *others]) == set()
    # The keyring goes on: the next creates are made.
    again = await ring.people(tenant, [], create=dict.fromkeys(others, "candidate"))
    assert set(again) == set(others)
    assert await stored_person_keys(stores, tenant, others) == set(others)


async def test_one_requests_failure_is_not_anothers(stores: Stores) -> None:
    tenant = await new_agency(stores, "b")
    nowhere = uuid.uuid4()  # an agency that does not exist: its keys cannot be stored
    ring = Keyring(stores.db, stores.settings)
    await ring.agency_key(tenant)
    first, good = uuid.uuid4(), uuid.uuid4()
    with _key_inserts(stores) as inserts:
        async with _table_locked(stores):
            leading = asyncio.create_task(ring.person(tenant, first, create_as="candidate"))
            await _until(lambda: len(inserts) == 1, "the first insert")
            bad = asyncio.create_task(ring.person(nowhere, uuid.uuid4(), create_as="candidate"))
            fine = asyncio.create_task(ring.person(tenant, good, create_as="contact"))
            await asyncio.sleep(0.05)
        assert await leading is not None
        # The group of two failed; each went again alone: the good one has its key, and
        # only the request for the missing agency fails.
        assert await fine is not None
        with pytest.raises(Exception, match=r"tenant|foreign key|agency"):
            await bad
    assert await stored_person_keys(stores, tenant, [first, good]) == {first, good}


async def test_a_large_group_is_one_statement(stores: Stores) -> None:
    tenant = await new_agency(stores, "b")
    ring = Keyring(stores.db, stores.settings)
    people = [uuid.uuid4() for _ in range(7000)]
    with _key_inserts(stores) as inserts:
        made = await ring.people(tenant, [], create=dict.fromkeys(people, "candidate"))
    assert len(made) == 7000
    # 7,000 rows: more than the 32,767 parameters a VALUES list of five columns could take.
    assert len(inserts) == 1
    assert await stored_person_keys(stores, tenant, people) == set(people)
