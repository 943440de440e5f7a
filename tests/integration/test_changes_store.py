"""The changes feed's table on the real Postgres: numbered per agency in the order
recorded, once per event, erasures after the last version, read after a cursor by type,
pruned by age."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from core.clock import utcnow
from stores.bundle import Stores
from stores.postgres import changes as feed
from stores.postgres.tables import changes
from topics.changes import Change

pytestmark = pytest.mark.stack


def _change(tenant: uuid.UUID, type: str, resource: uuid.UUID, version: int) -> Change:
    return Change(
        event_id=uuid.uuid4(),
        tenant_id=tenant,
        type=type,
        resource_type=type.split(".")[0],
        resource_id=resource,
        version=version,
        occurred_at=utcnow(),
    )


async def test_the_feed_numbers_reads_and_prunes(stores: Stores) -> None:
    tenant, other = uuid.uuid4(), uuid.uuid4()
    person, client = uuid.uuid4(), uuid.uuid4()
    first = [
        _change(tenant, "candidate.created", person, 1),
        _change(other, "client.created", client, 1),
        _change(tenant, "candidate.updated", person, 2),
    ]
    erased = _change(tenant, "candidate.erased", person, 0)
    async with stores.db.transaction() as conn:
        assert await feed.record(conn, first) == 3
    async with stores.db.transaction() as conn:
        # Delivered again, with something new: only the new one is recorded.
        assert await feed.record(conn, [*first, erased, erased]) == 1
    async with stores.db.read() as conn:
        rows, head = await feed.page(conn, tenant, after=0, limit=10)
        theirs, their_head = await feed.page(conn, other, after=0, limit=10)
        page_one, after_one = await feed.page(conn, tenant, after=0, limit=2)
        page_two, after_two = await feed.page(conn, tenant, after=after_one, limit=2)
        updates, skipped_to = await feed.page(
            conn, tenant, after=0, limit=10, types=["candidate.updated"]
        )
        by_kind, _ = await feed.page(conn, tenant, after=0, limit=10, prefixes=["candidate."])
        none_of_that, _ = await feed.page(conn, tenant, after=0, limit=10, prefixes=["client."])
    assert [(r["sequence"], r["type"], r["version"]) for r in rows] == [
        (1, "candidate.created", 1),
        (2, "candidate.updated", 2),
        (3, "candidate.erased", 3),  # after the last version it recorded
    ]
    assert head == 3
    assert [(r["sequence"], r["type"]) for r in theirs] == [(1, "client.created")]
    assert their_head == 1
    assert [r["sequence"] for r in page_one] == [1, 2]
    assert after_one == 2
    assert [r["sequence"] for r in page_two] == [3]
    assert after_two == 3
    assert [r["type"] for r in updates] == ["candidate.updated"]
    assert skipped_to == 3  # a filtered read moves past what it skipped
    assert len(by_kind) == 3
    assert none_of_that == []

    async with stores.db.transaction() as conn:
        await conn.execute(
            update(changes)
            .where(changes.c.tenant_id == tenant, changes.c.sequence < 3)
            .values(recorded_at=utcnow() - timedelta(days=100))
        )
        cutoff = utcnow() - timedelta(days=90)
        assert await feed.count_before(conn, tenant, cutoff) == 2
        assert await feed.prune(conn, tenant, cutoff) == 2
    async with stores.db.read() as conn:
        kept, head = await feed.page(conn, tenant, after=0, limit=10)
        theirs, _ = await feed.page(conn, other, after=0, limit=10)
    assert [r["sequence"] for r in kept] == [3]
    assert head == 3
    assert len(theirs) == 1


async def test_an_erasure_follows_the_last_version_recorded_or_in_its_own_set(
    stores: Stores,
) -> None:
    tenant = uuid.uuid4()
    kept, updated_then_erased, never_seen = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with stores.db.transaction() as conn:
        await feed.record(
            conn,
            [
                _change(tenant, "candidate.created", kept, 1),
                _change(tenant, "candidate.created", updated_then_erased, 1),
                _change(tenant, "candidate.updated", updated_then_erased, 2),
            ],
        )
    async with stores.db.transaction() as conn:
        # One set: an update the store has not seen, then the erasure of the same record,
        # the erasure of a record recorded only before, and of one the feed never saw.
        assert (
            await feed.record(
                conn,
                [
                    _change(tenant, "candidate.updated", updated_then_erased, 5),
                    _change(tenant, "candidate.erased", updated_then_erased, 0),
                    _change(tenant, "candidate.erased", kept, 0),
                    _change(tenant, "candidate.erased", never_seen, 0),
                ],
            )
            == 4
        )
    async with stores.db.read() as conn:
        rows, _ = await feed.page(conn, tenant, after=3, limit=10)
    assert [(r["resource_id"], r["type"], r["version"]) for r in rows] == [
        (updated_then_erased, "candidate.updated", 5),
        (updated_then_erased, "candidate.erased", 6),  # after the one in its own set
        (kept, "candidate.erased", 2),  # after the one recorded before
        (never_seen, "candidate.erased", 1),
    ]
