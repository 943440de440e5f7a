"""Requisitions (job orders)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres import tables
from stores.postgres.rows import Row, Rows

REQUISITIONS = Rows(
    tables.requisitions, "requisition", jsonb=frozenset({"location", "bill_rate", "salary"})
)


async def open_requisitions(conn: AsyncConnection, tenant_id: UUID, *, limit: int) -> list[Row]:
    """The agency's open requisitions, newest first."""
    r = tables.requisitions.c
    found = await conn.execute(
        select(tables.requisitions)
        .where(r.tenant_id == tenant_id, r.status == "open")
        .order_by(r.created_at.desc())
        .limit(limit)
    )
    return [dict(row) for row in found.mappings().all()]
