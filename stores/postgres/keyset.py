"""Keyset pages: what every list shares (its sort, where a page resumes, the `*_since`
filters and `ids`), written once for every table.

A page resumes *after* the (sort value, id) of the previous page's last row rather than
at an offset, so a row written meanwhile never shifts a page, and the query stays an index
range scan however deep the client pages. The id breaks ties between rows written in the
same microsecond. Each table says which of its columns stand for `created_at`,
`updated_at` and `id` (`Keys`); the rest is here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args
from uuid import UUID

from sqlalchemy import Select, Table, and_, or_
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from core.errors import RTError

Row = dict[str, Any]

SortOrder = Literal["created_at", "-created_at", "updated_at", "-updated_at"]
SORT_ORDERS: tuple[SortOrder, ...] = get_args(SortOrder)
DEFAULT_SORT = "default"
"""The name a cursor gives the list's own order (no `sort` asked): newest first, unless
the table says otherwise (`Keys.natural`)."""

Position = tuple[datetime | int, UUID]
"""Where a page resumes: the last row's sort value (a time, or a sequence number for a
table ordered by one) and its id."""


class PositionMismatch(RTError):
    """A cursor whose sort value is of another kind than this list sorts on (a forged or
    another list's cursor): the database would refuse the comparison with a 500."""

    code = "bad_cursor"
    status = 400
    title = "Bad cursor"


@dataclass(frozen=True, slots=True)
class Window:
    """One page of a list, as the client asked for it (gateway/pagination.py reads it
    from the query string)."""

    limit: int
    sort: SortOrder | None = None
    """None: the list's own order."""
    after: Position | None = None
    created_since: datetime | None = None
    """Rows created at or after this time."""
    updated_since: datetime | None = None
    """Rows changed (or created) at or after this time."""
    ids: tuple[UUID, ...] | None = None
    """Only these rows (None: any)."""

    @property
    def sort_name(self) -> str:
        """What a cursor of this window says it was made for."""
        return self.sort or DEFAULT_SORT


@dataclass(frozen=True, slots=True)
class Keys:
    """The columns a table is listed by."""

    created: ColumnElement[Any]
    updated: ColumnElement[Any]
    """`created` again for rows that never change (documents, audit entries)."""
    id: ColumnElement[Any]
    order: ColumnElement[Any] | None = None
    """Sort on this column instead of the times (the audit log: its `seq`, the order of
    its hash chain); the `*_since` filters still read the times."""
    natural: tuple[ColumnElement[Any], bool] | None = None
    """The list's own order when no `sort` is asked, as (column, descending); None:
    newest first (`created`, descending)."""

    @classmethod
    def of(
        cls,
        table: Table,
        *,
        created: str = "created_at",
        updated: str | None = "updated_at",
        id: str = "id",
        order: str | None = None,
        natural: tuple[str, bool] | None = None,
    ) -> Keys:
        c = table.c
        return cls(
            created=c[created],
            updated=c[updated] if updated is not None else c[created],
            id=c[id],
            order=c[order] if order is not None else None,
            natural=(c[natural[0]], natural[1]) if natural is not None else None,
        )

    def sort_of(self, window: Window) -> tuple[ColumnElement[Any], bool]:
        """The column a window sorts on, and whether newest (highest) first."""
        descending = window.sort.startswith("-") if window.sort else True
        if self.order is not None:
            return self.order, descending
        if window.sort is None:
            return self.natural or (self.created, True)
        return (self.updated if window.sort.endswith("updated_at") else self.created), descending

    def sorts_by_number(self) -> bool:
        return self.order is not None


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[Row]
    next_after: Position | None
    """The position of the last row when more rows follow it, else None."""


def _check_position(keys: Keys, after: Position) -> None:
    value = after[0]
    if keys.sorts_by_number() != (isinstance(value, int) and not isinstance(value, bool)):
        raise PositionMismatch(
            "`cursor` is not one this API issued for this list; pass `next_cursor` unchanged"
        )


def windowed(query: Select[Any], keys: Keys, window: Window) -> Select[Any]:
    """`query` narrowed to the window and ordered by its sort (then id), reading one row
    past the limit so the caller knows whether another page follows."""
    sort, descending = keys.sort_of(window)
    if window.created_since is not None:
        query = query.where(keys.created >= window.created_since)
    if window.updated_since is not None:
        query = query.where(keys.updated >= window.updated_since)
    if window.ids is not None:
        query = query.where(keys.id.in_(list(window.ids)))
    if window.after is not None:
        _check_position(keys, window.after)
        value, last_id = window.after
        if descending:
            query = query.where(or_(sort < value, and_(sort == value, keys.id < last_id)))
        else:
            query = query.where(or_(sort > value, and_(sort == value, keys.id > last_id)))
    if descending:
        query = query.order_by(sort.desc(), keys.id.desc())
    else:
        query = query.order_by(sort.asc(), keys.id.asc())
    return query.limit(window.limit + 1)


def _position(keys: Keys, window: Window, row: Row) -> Position:
    sort, _ = keys.sort_of(window)
    return row[sort.key], row[keys.id.key]  # type: ignore[index]


def page_of(rows: Sequence[Row], keys: Keys, window: Window) -> Page:
    """The page from the rows `windowed` read (one past the limit when there are more)."""
    found = list(rows[: window.limit])
    more = len(rows) > window.limit
    return Page(found, _position(keys, window, found[-1]) if more and found else None)


async def fetch_page(conn: AsyncConnection, query: Select[Any], keys: Keys, window: Window) -> Page:
    """One page of `query` (a select of a table's rows, already narrowed to the agency
    and the list's own filters)."""
    result = await conn.execute(windowed(query, keys, window))
    return page_of([dict(r) for r in result.mappings().all()], keys, window)
