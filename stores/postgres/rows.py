"""Row operations every aggregate table shares: tenant-scoped get, lock, insert, update, page."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Table, and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection


def to_row(
    snapshot: BaseModel, jsonb_fields: frozenset[str], fields: Iterable[str] | None = None
) -> dict[str, Any]:
    """Column values for a snapshot: JSONB columns take JSON-ready values, the rest Python's."""
    native, as_json = snapshot.model_dump(), snapshot.model_dump(mode="json")
    return {k: as_json[k] if k in jsonb_fields else native[k] for k in (fields or native)}


async def get_row(
    conn: AsyncConnection, table: Table, tenant_id: UUID, row_id: UUID, *, lock: bool = False
) -> dict[str, Any] | None:
    """One row of the tenant's; `lock` holds it for this transaction."""
    query = select(table).where(table.c.tenant_id == tenant_id, table.c.id == row_id)
    if lock:
        query = query.with_for_update()
    row = (await conn.execute(query)).mappings().first()
    return dict(row) if row else None


async def insert_new_rows(
    conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]
) -> set[UUID]:
    """Insert rows; returns the ids inserted (a row whose id exists is skipped)."""
    if not rows:
        return set()
    result = await conn.execute(
        pg_insert(table)
        .values(list(rows))
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(table.c.id)
    )
    return set(result.scalars())


async def update_row(conn: AsyncConnection, table: Table, row: dict[str, Any]) -> None:
    fixed = ("id", "tenant_id", "created_at")
    await conn.execute(
        update(table)
        .where(table.c.id == row["id"], table.c.tenant_id == row["tenant_id"])
        .values(**{k: v for k, v in row.items() if k not in fixed})
    )


async def page_rows(
    conn: AsyncConnection,
    table: Table,
    tenant_id: UUID,
    *,
    limit: int,
    after: tuple[datetime, UUID] | None,
    filters: Sequence[ColumnElement[bool]] = (),
) -> list[dict[str, Any]]:
    """Newest first; `after` is the (created_at, id) of the previous page's last row."""
    query = select(table).where(table.c.tenant_id == tenant_id, *filters)
    if after is not None:
        created_at, last_id = after
        query = query.where(
            or_(
                table.c.created_at < created_at,
                and_(table.c.created_at == created_at, table.c.id < last_id),
            )
        )
    query = query.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(limit)
    return [dict(r) for r in (await conn.execute(query)).mappings().all()]
