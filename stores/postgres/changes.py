"""The changes feed's rows: recorded by the worker's feed agent, read by `GET /changes`,
pruned by the retention run (see tables.changes for why sequences come from a head row)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ARRAY, Text, Uuid, any_, bindparam, delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres.bulk import BULK_MIN_ROWS, copy_rows
from stores.postgres.tables import change_heads, changes
from topics.changes import Change

Row = dict[str, Any]

_c = changes.c
_h = change_heads.c


async def _lock_head(conn: AsyncConnection, tenant_id: UUID) -> int:
    """The agency's last sequence, its row locked until this transaction ends."""
    found = await conn.execute(
        pg_insert(change_heads)
        .values(tenant_id=tenant_id, sequence=0)
        .on_conflict_do_update(index_elements=["tenant_id"], set_={"sequence": _h.sequence})
        .returning(_h.sequence)
    )
    return int(found.scalar_one())


async def _known(conn: AsyncConnection, event_ids: Sequence[UUID]) -> set[UUID]:
    # `= ANY(array)`: compiled once whatever the count (an import's batch is hundreds).
    ids = bindparam("event_ids", list(event_ids), type_=ARRAY(Uuid))
    found = await conn.execute(select(_c.event_id).where(_c.event_id == any_(ids)))
    return set(found.scalars())


# Each resource's last version by its own index probe (ix_changes_resource): a row-value
# IN list was filtered against every change of the agency, so an import's set of a
# thousand took longer the more the agency had (0.2 s at 20,000 changes, and linear in
# them), where the probes take milliseconds whatever its size. The keys travel as two
# arrays, so the statement is compiled once whatever their number.
_LAST_VERSIONS = text(
    """
    SELECT k.resource_type, k.resource_id,
           (SELECT max(c.version) FROM changes AS c
             WHERE c.tenant_id = :tenant_id
               AND c.resource_type = k.resource_type AND c.resource_id = k.resource_id)
    FROM unnest(:resource_types, :resource_ids) AS k(resource_type, resource_id)
    """
).bindparams(
    bindparam("tenant_id", type_=Uuid),
    bindparam("resource_types", type_=ARRAY(Text)),
    bindparam("resource_ids", type_=ARRAY(Uuid)),
)


async def _last_versions(
    conn: AsyncConnection, tenant_id: UUID, resources: set[tuple[str, UUID]]
) -> dict[tuple[str, UUID], int]:
    if not resources:
        return {}
    keys = list(resources)
    found = await conn.execute(
        _LAST_VERSIONS,
        {
            "tenant_id": tenant_id,
            "resource_types": [k[0] for k in keys],
            "resource_ids": [k[1] for k in keys],
        },
    )
    return {(row[0], row[1]): int(row[2]) for row in found if row[2] is not None}


async def record(conn: AsyncConnection, found: Sequence[Change]) -> int:
    """Record the changes (in the caller's transaction) after each agency's last, in the
    order given; one recorded before is skipped. Returns how many were new."""
    by_tenant: dict[UUID, list[Change]] = {}
    for change in found:
        by_tenant.setdefault(change.tenant_id, []).append(change)
    added = 0
    # Agencies in id order: two transactions lock their heads in one order, never a cycle.
    for tenant_id in sorted(by_tenant):
        head = await _lock_head(conn, tenant_id)
        # Checked under the head's lock: a redelivery racing this one waits, then skips.
        known = await _known(conn, [c.event_id for c in by_tenant[tenant_id]])
        fresh: dict[UUID, Change] = {}
        for change in by_tenant[tenant_id]:
            if change.event_id not in known:
                fresh.setdefault(change.event_id, change)
        if not fresh:
            continue
        # Only an erasure's version is taken from the ones recorded before (every other
        # change carries its own), so only erased resources are looked up: an import's
        # creates need none.
        last = await _last_versions(
            conn,
            tenant_id,
            {(c.resource_type, c.resource_id) for c in fresh.values() if c.erasure},
        )
        rows = []
        for change in fresh.values():
            key = (change.resource_type, change.resource_id)
            # An erasure ends the record: the version after the last one seen.
            version = last.get(key, 0) + 1 if change.erasure else change.version
            last[key] = max(last.get(key, 0), version)
            head += 1
            rows.append(
                {
                    "tenant_id": tenant_id,
                    "sequence": head,
                    "event_id": change.event_id,
                    "type": change.type,
                    "resource_type": change.resource_type,
                    "resource_id": change.resource_id,
                    "version": version,
                    "occurred_at": change.occurred_at,
                }
            )
        if len(rows) >= BULK_MIN_ROWS:
            # An import's events come a thousand at a time: a multi-row INSERT would be
            # compiled afresh for each set (its row count differs), COPY is not. The rows
            # are new under the head's lock (checked above), so nothing can clash.
            await copy_rows(conn, changes, rows)
        else:
            # The rows as parameters: compiled once, and with RETURNING sent as one statement
            # (stores/postgres/rows.py).
            await conn.execute(pg_insert(changes).returning(changes.c.sequence), rows)
        await conn.execute(
            update(change_heads).where(_h.tenant_id == tenant_id).values(sequence=head)
        )
        added += len(rows)
    return added


async def page(
    conn: AsyncConnection,
    tenant_id: UUID,
    *,
    after: int,
    limit: int,
    types: Sequence[str] = (),
    prefixes: Sequence[str] = (),
) -> tuple[list[Row], int]:
    """The agency's changes after sequence `after`, oldest first, of these types or type
    prefixes (none given: every type), and the sequence the next page starts after.

    The head is read first: every change up to it has committed (sequences are taken
    under its lock), so a page that ends short has seen all of them, and the next one
    may start after the head even if no change on this page matched the types.
    """
    found = await conn.execute(select(_h.sequence).where(_h.tenant_id == tenant_id))
    head = int(found.scalar() or 0)
    query = select(changes).where(
        _c.tenant_id == tenant_id, _c.sequence > after, _c.sequence <= head
    )
    if types or prefixes:
        query = query.where(
            or_(
                _c.type.in_(list(types)),
                *(_c.type.startswith(p, autoescape=True) for p in prefixes),
            )
        )
    rows = [
        dict(r)
        for r in (await conn.execute(query.order_by(_c.sequence).limit(limit))).mappings().all()
    ]
    if len(rows) == limit:
        return rows, int(rows[-1]["sequence"])
    return rows, max(after, head)


async def prune(conn: AsyncConnection, tenant_id: UUID, before: datetime) -> int:
    """Delete the agency's changes recorded before `before`; returns how many."""
    result = await conn.execute(
        delete(changes).where(_c.tenant_id == tenant_id, _c.recorded_at < before)
    )
    return int(result.rowcount or 0)


async def count_before(conn: AsyncConnection, tenant_id: UUID, before: datetime) -> int:
    """How many of the agency's changes were recorded before `before` (what a prune would
    delete)."""
    found = await conn.execute(
        select(func.count())
        .select_from(changes)
        .where(_c.tenant_id == tenant_id, _c.recorded_at < before)
    )
    return int(found.scalar_one())
