"""The dispatcher's claims against Postgres (stores/postgres/webhooks.py): one aggregate's
deliveries one at a time and in order, at most so many per endpoint, leases, endpoints
with no room skipped, disabling, and pruning what ended long ago."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from stores.bundle import Stores
from stores.postgres import tables
from stores.postgres import webhooks as repo
from stores.postgres.keyset import Window

pytestmark = pytest.mark.stack

# A day ahead: a dispatcher of a system the same run started (tests/e2e) claims what is
# due by the clock; these rows fall due only at the time the test claims at.
NOW = datetime.now(UTC) + timedelta(days=1)


async def _webhook(stores: Stores) -> tuple[uuid.UUID, uuid.UUID]:
    tenant_id, webhook_id = uuid.uuid4(), uuid.uuid4()
    async with stores.db.transaction() as conn:
        await conn.execute(
            insert(tables.tenants).values(id=tenant_id, slug=f"t-{tenant_id.hex[:12]}", name="T")
        )
        await repo.insert_webhook(
            conn,
            {
                "id": webhook_id,
                "tenant_id": tenant_id,
                "url": "http://127.0.0.1:9/x",
                "events": ["*"],
                "secret": "sealed",
                "status": "active",
                "version": 1,
                "created_at": NOW,
                "updated_at": NOW,
                "created_by": "user:test",
            },
        )
    return tenant_id, webhook_id


def _delivery(tenant_id: uuid.UUID, webhook_id: uuid.UUID, aggregate: uuid.UUID) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "webhook_id": webhook_id,
        "event_id": uuid.uuid4(),
        "event_type": "candidate.updated",
        "aggregate_id": aggregate,
        "event": {},
        "status": "pending",
        "next_attempt_at": NOW - timedelta(seconds=1),
        "period_started_at": NOW,
        "created_at": NOW,
    }


async def _claim(stores: Stores, at: datetime = NOW, **limits: Any) -> list[dict[str, Any]]:
    options: dict[str, Any] = {
        "now": at,
        "lease_seconds": 30,
        "limit": 100,
        "per_endpoint": 4,
        "per_agency": 16,
        "full_endpoints": [],
        "full_agencies": [],
        **limits,
    }
    async with stores.db.transaction() as conn:
        return await repo.claim_due(conn, **options)


async def test_claims_keep_order_per_aggregate_and_the_endpoint_cap(stores: Stores) -> None:
    tenant_id, webhook_id = await _webhook(stores)
    one, others = uuid.uuid4(), [uuid.uuid4() for _ in range(6)]
    rows = [_delivery(tenant_id, webhook_id, one) for _ in range(3)]
    rows += [_delivery(tenant_id, webhook_id, a) for a in others]
    async with stores.db.transaction() as conn:
        assert await repo.record_deliveries(conn, rows) == 9
        # A redelivered event adds nothing.
        assert await repo.record_deliveries(conn, [{**rows[0], "id": uuid.uuid4()}]) == 0
    claimed = [r for r in await _claim(stores) if r["webhook_id"] == webhook_id]
    # Four at most for the endpoint, and of `one` only its first.
    assert len(claimed) == 4
    assert [r["id"] for r in claimed if r["id"] in {x["id"] for x in rows[:3]}] == [rows[0]["id"]]
    # Leased: not claimed again until the lease ends; an endpoint with no room is skipped.
    assert not [r for r in await _claim(stores) if r["webhook_id"] == webhook_id]
    later = NOW + timedelta(seconds=31)
    assert not [
        r
        for r in await _claim(stores, later, full_endpoints=[webhook_id])
        if r["webhook_id"] == webhook_id
    ]
    # The first of `one` failed for good: the second may go now, never the third.
    async with stores.db.transaction() as conn:
        await repo.record_failure(
            conn, rows[0]["id"], code=410, error="HTTP 410", now=NOW, next_attempt_at=None
        )
    again = {r["id"] for r in await _claim(stores, later) if r["webhook_id"] == webhook_id}
    assert rows[1]["id"] in again
    assert rows[2]["id"] not in again


async def test_a_webhook_is_disabled_only_without_a_success_in_the_period(stores: Stores) -> None:
    tenant_id, webhook_id = await _webhook(stores)
    pending = _delivery(tenant_id, webhook_id, uuid.uuid4())
    async with stores.db.transaction() as conn:
        await repo.record_deliveries(conn, [pending])
        await repo.record_success(conn, uuid.uuid4(), webhook_id, 200, NOW)
        # A success after the period began: kept.
        assert not await repo.disable_if_failing(conn, webhook_id, NOW - timedelta(hours=1), NOW)
        assert await repo.disable_if_failing(conn, webhook_id, NOW + timedelta(seconds=1), NOW)
        hook = await repo.get_webhook(conn, tenant_id, webhook_id)
        left = await repo.get_delivery(conn, tenant_id, webhook_id, pending["id"])
        notices = await repo.pending_notices(conn, limit=1000)
    assert hook is not None
    assert (hook["status"], hook["disabled_reason"]) == ("disabled", "deliveries_failing")
    assert left is not None
    assert left["status"] == "failed"
    assert webhook_id in {n["id"] for n in notices}


async def test_ended_deliveries_are_pruned_by_age(stores: Stores) -> None:
    tenant_id, webhook_id = await _webhook(stores)
    old = {**_delivery(tenant_id, webhook_id, uuid.uuid4()), "created_at": NOW - timedelta(40)}
    old_pending = {
        **_delivery(tenant_id, webhook_id, uuid.uuid4()),
        "created_at": old["created_at"],
    }
    new = _delivery(tenant_id, webhook_id, uuid.uuid4())
    async with stores.db.transaction() as conn:
        await repo.record_deliveries(conn, [old, old_pending, new])
        for row in (old, new):
            await repo.record_success(conn, row["id"], webhook_id, 200, NOW)
        await repo.delete_ended_before(conn, NOW - timedelta(days=30), 100_000)
        found = await repo.page_deliveries(conn, tenant_id, webhook_id, Window(limit=10))
        left = {r["id"] for r in found.rows}
    assert left == {old_pending["id"], new["id"]}
