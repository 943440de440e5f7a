"""The reads and writes every table of tenant-scoped aggregates shares.

Each aggregate's repository module names its table once, as a `Rows`, and adds the
queries only that aggregate needs; routes and handlers call those by name and never
see a table or a statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres.keyset import Keys, Page, Window, fetch_page

Row = dict[str, Any]


class Dumpable(Protocol):
    """A record (a pydantic model) that dumps to Python or to JSON-ready values."""

    def model_dump(self, *, mode: str = ...) -> dict[str, Any]: ...


class Snapshot(Dumpable, Protocol):
    """An aggregate's state: a record with an id."""

    @property
    def id(self) -> UUID: ...


def to_row(
    snapshot: Dumpable, jsonb_fields: frozenset[str], fields: Iterable[str] | None = None
) -> Row:
    """Column values for a snapshot: JSONB columns take JSON-ready values, the rest Python's."""
    native, as_json = snapshot.model_dump(), snapshot.model_dump(mode="json")
    return {k: as_json[k] if k in jsonb_fields else native[k] for k in (fields or native)}


@dataclass(frozen=True, slots=True)
class Rows:
    """One table of an aggregate kept per agency (tenant): rows by id, keyset pages."""

    table: Table
    noun: str
    """What one row is, for messages: "client", "submission"."""
    jsonb: frozenset[str] = frozenset()
    """Columns stored as JSONB, which take a snapshot's JSON-ready values."""
    natural: tuple[str, bool] | None = None
    """Its lists' own order, (column, descending), when not newest first."""

    def row(self, snapshot: Dumpable) -> Row:
        """The column values of a snapshot of this aggregate."""
        return to_row(snapshot, self.jsonb)

    async def get(
        self, conn: AsyncConnection, tenant_id: UUID, row_id: UUID, *, lock: bool = False
    ) -> Row | None:
        """One row of the tenant's; `lock` holds it for this transaction."""
        c = self.table.c
        query = select(self.table).where(c.tenant_id == tenant_id, c.id == row_id)
        if lock:
            query = query.with_for_update()
        found = (await conn.execute(query)).mappings().first()
        return dict(found) if found else None

    async def insert_new(self, conn: AsyncConnection, rows: Sequence[Row]) -> set[UUID]:
        """Insert rows; returns the ids inserted (a row whose id exists is skipped)."""
        if not rows:
            return set()
        # Executed with the rows as parameters: SQLAlchemy compiles the statement once and,
        # as it has RETURNING, sends the rows as one multi-row INSERT (`insertmanyvalues`).
        # `.values(rows)` has no cache key, so it was compiled afresh on every call: 3.2 ms
        # against 0.9 for 31 rows (without RETURNING, the driver's executemany: 1.2 ms).
        result = await conn.execute(
            pg_insert(self.table)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(self.table.c.id),
            list(rows),
        )
        return set(result.scalars())

    async def update(self, conn: AsyncConnection, row: Row) -> None:
        """Write the given columns of the row `row["id"]` of `row["tenant_id"]`."""
        fixed = ("id", "tenant_id", "created_at")
        c = self.table.c
        await conn.execute(
            update(self.table)
            .where(c.id == row["id"], c.tenant_id == row["tenant_id"])
            .values(**{k: v for k, v in row.items() if k not in fixed})
        )

    async def delete(self, conn: AsyncConnection, tenant_id: UUID, row_id: UUID) -> None:
        c = self.table.c
        await conn.execute(delete(self.table).where(c.tenant_id == tenant_id, c.id == row_id))

    @property
    def keys(self) -> Keys:
        """The columns its lists sort and filter on (rows without `updated_at` never change)."""
        has_updated = "updated_at" in self.table.c
        return Keys.of(
            self.table, updated="updated_at" if has_updated else None, natural=self.natural
        )

    async def page(
        self, conn: AsyncConnection, tenant_id: UUID, window: Window, **equal: Any
    ) -> Page:
        """One page of the tenant's rows, as the window says (stores/postgres/keyset.py).

        Each keyword narrows to rows whose column of that name equals it (None: no filter).
        """
        c = self.table.c
        query = select(self.table).where(
            c.tenant_id == tenant_id,
            *(c[name] == value for name, value in equal.items() if value is not None),
        )
        return await fetch_page(conn, query, self.keys, window)

    async def count(self, conn: AsyncConnection, tenant_id: UUID | None = None) -> int:
        """How many rows the agency has (every agency's, without one)."""
        query = select(func.count()).select_from(self.table)
        if tenant_id is not None:
            query = query.where(self.table.c.tenant_id == tenant_id)
        return int((await conn.execute(query)).scalar_one())

    async def where(
        self, conn: AsyncConnection, tenant_id: UUID, *, order_by: str, **equal: Any
    ) -> list[Row]:
        """Every row of the tenant's with these column values, in `order_by` order."""
        c = self.table.c
        query = (
            select(self.table)
            .where(c.tenant_id == tenant_id, *(c[name] == value for name, value in equal.items()))
            .order_by(c[order_by])
        )
        return [dict(r) for r in (await conn.execute(query)).mappings().all()]

    async def where_in(
        self,
        conn: AsyncConnection,
        tenant_id: UUID,
        column: str,
        values: Sequence[Any],
        *,
        order_by: str,
        **equal: Any,
    ) -> list[Row]:
        """Every row of the tenant's whose `column` is one of `values` (and with these
        column values), in `order_by` order: the children of several parents at once."""
        if not values:
            return []
        c = self.table.c
        query = (
            select(self.table)
            .where(
                c.tenant_id == tenant_id,
                c[column].in_(list(values)),
                *(c[name] == value for name, value in equal.items()),
            )
            .order_by(c[order_by], c.id)
        )
        return [dict(r) for r in (await conn.execute(query)).mappings().all()]
