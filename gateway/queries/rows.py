"""Reads of row-backed aggregates (clients, contacts): straight from Postgres."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Table

from core.errors import NotFound
from stores.bundle import Stores
from stores.postgres import rows

S = TypeVar("S", bound=BaseModel)


async def get_one(
    stores: Stores, table: Table, model: type[S], tenant_id: UUID, row_id: UUID, noun: str
) -> S:
    async with stores.db.read() as conn:
        row = await rows.get_row(conn, table, tenant_id, row_id)
    if row is None:
        raise NotFound(f"no {noun} {row_id}")
    return model.model_validate(row)


async def page(
    stores: Stores,
    table: Table,
    model: type[S],
    tenant_id: UUID,
    *,
    limit: int,
    after: tuple[datetime, UUID] | None,
    filters: Sequence[ColumnElement[bool]] = (),
) -> list[S]:
    async with stores.db.read() as conn:
        found = await rows.page_rows(
            conn, table, tenant_id, limit=limit, after=after, filters=filters
        )
    return [model.model_validate(r) for r in found]
