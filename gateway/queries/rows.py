"""Reads of row-backed aggregates (clients, requisitions, the pipeline): straight from Postgres."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID

from pydantic import BaseModel

from core.errors import NotFound
from stores.bundle import Stores
from stores.postgres.keyset import Page, Position, Window
from stores.postgres.rows import Rows

S = TypeVar("S", bound=BaseModel)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Listed(Generic[T]):
    """One page of a list as the API answers it: the items, and where the next page
    resumes (None: this was the last)."""

    items: list[T]
    next_after: Position | None


async def get_one(stores: Stores, rows: Rows, model: type[S], tenant_id: UUID, row_id: UUID) -> S:
    """The agency's record `row_id` as `model`; 404 when the agency has no such record."""
    async with stores.db.read() as conn:
        row = await rows.get(conn, tenant_id, row_id)
    if row is None:
        raise NotFound(f"no {rows.noun} {row_id}")
    return model.model_validate(row)


def listed(found: Page, model: type[S]) -> Listed[S]:
    return Listed([model.model_validate(r) for r in found.rows], found.next_after)


async def page(
    stores: Stores,
    rows: Rows,
    model: type[S],
    tenant_id: UUID,
    window: Window,
    **equal: Any,
) -> Listed[S]:
    """A page of the agency's records, narrowed by column values (None: any)."""
    async with stores.db.read() as conn:
        found = await rows.page(conn, tenant_id, window, **equal)
    return listed(found, model)


async def all_of(
    stores: Stores, rows: Rows, model: type[S], tenant_id: UUID, *, order_by: str, **equal: Any
) -> list[S]:
    """Every record of the agency's with these column values (a parent's children)."""
    async with stores.db.read() as conn:
        found = await rows.where(conn, tenant_id, order_by=order_by, **equal)
    return [model.model_validate(r) for r in found]
