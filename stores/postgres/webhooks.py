"""Webhooks and their deliveries: the agency's endpoints, what is due to each, and the
dispatcher's claims and outcomes (agents/webhooks/dispatcher.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, delete, or_, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import Uuid

from stores.postgres.keyset import Keys, Page, Window, fetch_page
from stores.postgres.tables import webhook_deliveries, webhooks

Row = dict[str, Any]

# What a delivery's reader is shown (the event it carries stays in the table).
DELIVERY_COLUMNS = tuple(c for c in webhook_deliveries.c if c.name not in ("event", "lease_until"))

WEBHOOK_KEYS = Keys.of(webhooks)
# A delivery's row changes with every attempt but has no `updated_at`: `updated_since`
# and `sort=updated_at` read its creation, as for the records that never change.
DELIVERY_KEYS = Keys.of(webhook_deliveries, updated=None)


# --- webhooks --------------------------------------------------------------------------


async def insert_webhook(conn: AsyncConnection, row: Row) -> Row:
    stored = await conn.execute(insert(webhooks).values(**row).returning(webhooks))
    return dict(stored.mappings().one())


async def get_webhook(
    conn: AsyncConnection, tenant_id: UUID, webhook_id: UUID, *, lock: bool = False
) -> Row | None:
    query = select(webhooks).where(webhooks.c.tenant_id == tenant_id, webhooks.c.id == webhook_id)
    if lock:
        query = query.with_for_update()
    found = (await conn.execute(query)).mappings().first()
    return dict(found) if found else None


async def page_webhooks(conn: AsyncConnection, tenant_id: UUID, window: Window) -> Page:
    """A page of the agency's webhooks, newest first unless the window sorts otherwise."""
    query = select(webhooks).where(webhooks.c.tenant_id == tenant_id)
    return await fetch_page(conn, query, WEBHOOK_KEYS, window)


async def update_webhook(
    conn: AsyncConnection, tenant_id: UUID, webhook_id: UUID, values: Row
) -> Row | None:
    stored = await conn.execute(
        update(webhooks)
        .where(webhooks.c.tenant_id == tenant_id, webhooks.c.id == webhook_id)
        .values(**values, version=webhooks.c.version + 1)
        .returning(webhooks)
    )
    found = stored.mappings().first()
    return dict(found) if found else None


async def delete_webhook(conn: AsyncConnection, tenant_id: UUID, webhook_id: UUID) -> bool:
    """Remove the webhook and (by cascade) its deliveries; False if there was none."""
    gone = await conn.execute(
        delete(webhooks)
        .where(webhooks.c.tenant_id == tenant_id, webhooks.c.id == webhook_id)
        .returning(webhooks.c.id)
    )
    return gone.first() is not None


async def active_webhooks(conn: AsyncConnection, tenant_ids: Sequence[UUID]) -> list[Row]:
    """The active webhooks (id, tenant_id, events) of these agencies."""
    if not tenant_ids:
        return []
    c = webhooks.c
    found = await conn.execute(
        select(c.id, c.tenant_id, c.events).where(
            c.tenant_id.in_(list(set(tenant_ids))), c.status == "active"
        )
    )
    return [dict(r) for r in found.mappings().all()]


# --- deliveries ------------------------------------------------------------------------


async def record_deliveries(conn: AsyncConnection, rows: Sequence[Row]) -> int:
    """Insert deliveries in the order given (their `seq` follows it); a delivery of an
    event already recorded for that webhook (a redelivered message) is skipped."""
    if not rows:
        return 0
    # The rows as parameters, not `.values(rows)`: compiled once (stores/postgres/rows.py);
    # still one INSERT whose rows are in the order given.
    stored = await conn.execute(
        insert(webhook_deliveries)
        .on_conflict_do_nothing(constraint="uq_webhook_deliveries_webhook_event")
        .returning(webhook_deliveries.c.id),
        list(rows),
    )
    return len(stored.all())


async def page_deliveries(
    conn: AsyncConnection, tenant_id: UUID, webhook_id: UUID, window: Window
) -> Page:
    """A page of a webhook's deliveries, newest first unless the window sorts otherwise."""
    c = webhook_deliveries.c
    query = select(*DELIVERY_COLUMNS).where(c.tenant_id == tenant_id, c.webhook_id == webhook_id)
    return await fetch_page(conn, query, DELIVERY_KEYS, window)


async def get_delivery(
    conn: AsyncConnection, tenant_id: UUID, webhook_id: UUID, delivery_id: UUID
) -> Row | None:
    c = webhook_deliveries.c
    found = await conn.execute(
        select(*DELIVERY_COLUMNS).where(
            c.tenant_id == tenant_id, c.webhook_id == webhook_id, c.id == delivery_id
        )
    )
    row = found.mappings().first()
    return dict(row) if row else None


async def retry_delivery(
    conn: AsyncConnection, tenant_id: UUID, webhook_id: UUID, delivery_id: UUID, now: datetime
) -> Row | None:
    """Make the delivery due now, with a new retry period (its id, and so its
    `webhook-id`, stays); None if there is no such delivery."""
    c = webhook_deliveries.c
    stored = await conn.execute(
        update(webhook_deliveries)
        .where(c.tenant_id == tenant_id, c.webhook_id == webhook_id, c.id == delivery_id)
        .values(
            status="pending",
            next_attempt_at=now,
            period_started_at=now,
            lease_until=None,
            delivered_at=None,
        )
        .returning(*DELIVERY_COLUMNS)
    )
    row = stored.mappings().first()
    return dict(row) if row else None


# Due deliveries of active webhooks, oldest first, with at most `per_endpoint` attempts in
# flight per webhook and `per_agency` per agency, counting those other claims hold (in
# any worker), skipping endpoints and agencies this process has no room for, and any
# delivery with an earlier one of the same webhook and aggregate still pending (in flight
# or waiting for its retry): one aggregate's events arrive in order. The claim is a lease:
# a worker that dies mid-attempt leaves it to be taken again when the lease ends.
_CLAIM = text(
    """
    WITH held AS (
        SELECT webhook_id, tenant_id FROM webhook_deliveries
        WHERE status = 'pending' AND lease_until >= :now
    ), endpoint_held AS (
        SELECT webhook_id, count(*) AS n FROM held GROUP BY webhook_id
    ), agency_held AS (
        SELECT tenant_id, count(*) AS n FROM held GROUP BY tenant_id
    ), due AS (
        SELECT d.id, d.seq,
               coalesce(eh.n, 0) AS endpoint_held, coalesce(ah.n, 0) AS agency_held,
               row_number() OVER (PARTITION BY d.webhook_id ORDER BY d.seq) AS nth_of_endpoint,
               row_number() OVER (PARTITION BY d.tenant_id ORDER BY d.seq) AS nth_of_agency
        FROM webhook_deliveries AS d
        JOIN webhooks AS w ON w.id = d.webhook_id AND w.status = 'active'
        LEFT JOIN endpoint_held AS eh ON eh.webhook_id = d.webhook_id
        LEFT JOIN agency_held AS ah ON ah.tenant_id = d.tenant_id
        WHERE d.status = 'pending' AND d.next_attempt_at <= :now
          AND (d.lease_until IS NULL OR d.lease_until < :now)
          AND NOT (d.webhook_id = ANY(:full_endpoints))
          AND NOT (d.tenant_id = ANY(:full_agencies))
          AND NOT EXISTS (
              SELECT 1 FROM webhook_deliveries AS e
              WHERE e.webhook_id = d.webhook_id AND e.aggregate_id = d.aggregate_id
                AND e.status = 'pending' AND e.seq < d.seq
          )
    ), picked AS (
        SELECT id FROM due
        WHERE nth_of_endpoint + endpoint_held <= :per_endpoint
          AND nth_of_agency + agency_held <= :per_agency
        ORDER BY seq
        LIMIT :limit
    )
    UPDATE webhook_deliveries AS d
    SET lease_until = :lease_until
    FROM picked, webhooks AS w
    WHERE d.id = picked.id AND w.id = d.webhook_id AND d.status = 'pending'
      AND (d.lease_until IS NULL OR d.lease_until < :now)
    RETURNING d.id, d.seq, d.tenant_id, d.webhook_id, d.event_id, d.event_type, d.event,
              d.attempts, d.period_started_at, w.url, w.secret
    """
).bindparams(
    bindparam("full_endpoints", type_=ARRAY(Uuid())),
    bindparam("full_agencies", type_=ARRAY(Uuid())),
)


async def claim_due(
    conn: AsyncConnection,
    *,
    now: datetime,
    lease_seconds: float,
    limit: int,
    per_endpoint: int,
    per_agency: int,
    full_endpoints: Sequence[UUID],
    full_agencies: Sequence[UUID],
) -> list[Row]:
    found = await conn.execute(
        _CLAIM,
        {
            "now": now,
            "lease_until": now + timedelta(seconds=lease_seconds),
            "limit": limit,
            "per_endpoint": per_endpoint,
            "per_agency": per_agency,
            "full_endpoints": list(full_endpoints),
            "full_agencies": list(full_agencies),
        },
    )
    return sorted((dict(r) for r in found.mappings().all()), key=lambda r: r["seq"])


async def lock_for_outcome(conn: AsyncConnection, webhook_id: UUID) -> None:
    """Hold the webhook's row before writing an attempt's outcome: outcomes of one
    webhook's deliveries then take their locks in one order (the webhook, then its
    deliveries), where a success, a failure and a disabling would otherwise deadlock."""
    await conn.execute(select(webhooks.c.id).where(webhooks.c.id == webhook_id).with_for_update())


async def record_success(
    conn: AsyncConnection, delivery_id: UUID, webhook_id: UUID, code: int, now: datetime
) -> None:
    c = webhook_deliveries.c
    await conn.execute(
        update(webhook_deliveries)
        .where(c.id == delivery_id)
        .values(
            status="delivered",
            attempts=c.attempts + 1,
            last_response_code=code,
            last_error=None,
            last_attempt_at=now,
            next_attempt_at=None,
            lease_until=None,
            delivered_at=now,
        )
    )
    await conn.execute(
        update(webhooks).where(webhooks.c.id == webhook_id).values(last_success_at=now)
    )


async def record_failure(
    conn: AsyncConnection,
    delivery_id: UUID,
    *,
    code: int | None,
    error: str,
    now: datetime,
    next_attempt_at: datetime | None,
) -> None:
    """A failed attempt: due again at `next_attempt_at`, or (None) failed for good."""
    c = webhook_deliveries.c
    await conn.execute(
        update(webhook_deliveries)
        .where(c.id == delivery_id)
        .values(
            status="pending" if next_attempt_at is not None else "failed",
            attempts=c.attempts + 1,
            last_response_code=code,
            last_error=error[:300],
            last_attempt_at=now,
            next_attempt_at=next_attempt_at,
            lease_until=None,
        )
    )


async def disable_if_failing(
    conn: AsyncConnection, webhook_id: UUID, failing_since: datetime, now: datetime
) -> bool:
    """Disable the webhook if it has had no success since `failing_since` (the start of
    the retry period of a delivery that just failed for good); its pending deliveries
    fail with it. True if this call disabled it."""
    disabled = await conn.execute(
        update(webhooks)
        .where(
            webhooks.c.id == webhook_id,
            webhooks.c.status == "active",
            or_(webhooks.c.last_success_at.is_(None), webhooks.c.last_success_at < failing_since),
        )
        .values(
            status="disabled",
            disabled_reason="deliveries_failing",
            disabled_at=now,
            notice_pending=True,
            updated_at=now,
            version=webhooks.c.version + 1,
        )
        .returning(webhooks.c.id)
    )
    if disabled.first() is None:
        return False
    await fail_pending(conn, webhook_id, now, "the webhook was disabled")
    return True


async def fail_pending(conn: AsyncConnection, webhook_id: UUID, now: datetime, why: str) -> None:
    """Every delivery still pending for the webhook fails (it was disabled)."""
    c = webhook_deliveries.c
    await conn.execute(
        update(webhook_deliveries)
        .where(c.webhook_id == webhook_id, c.status == "pending")
        .values(status="failed", last_error=why, next_attempt_at=None, lease_until=None)
    )


async def pending_notices(conn: AsyncConnection, limit: int = 100) -> list[Row]:
    """Webhooks disabled for failing whose `webhook.disabled` is yet to be published."""
    found = await conn.execute(
        select(webhooks).where(webhooks.c.notice_pending.is_(True)).limit(limit)
    )
    return [dict(r) for r in found.mappings().all()]


async def notice_published(conn: AsyncConnection, webhook_id: UUID) -> None:
    await conn.execute(
        update(webhooks).where(webhooks.c.id == webhook_id).values(notice_pending=False)
    )


async def delete_ended_before(conn: AsyncConnection, cutoff: datetime, limit: int) -> int:
    """Delete up to `limit` delivered or failed deliveries made before `cutoff`."""
    c = webhook_deliveries.c
    old = (
        select(c.id)
        .where(c.status != "pending", c.created_at < cutoff)
        .limit(limit)
        .scalar_subquery()
    )
    gone = await conn.execute(delete(webhook_deliveries).where(c.id.in_(old)))
    return int(gone.rowcount or 0)
