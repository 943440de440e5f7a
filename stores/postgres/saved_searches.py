"""Saved searches, and the candidates that newly matched each (their alerts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres import tables
from stores.postgres.keyset import Keys, Page, Window, fetch_page
from stores.postgres.rows import Row, Rows

SAVED_SEARCHES = Rows(tables.saved_searches, "saved search")

_s = tables.saved_searches.c
_m = tables.saved_search_matches.c


async def get_own(
    conn: AsyncConnection, tenant_id: UUID, saved_search_id: UUID, owner: str
) -> Row | None:
    """The saved search, if it is `owner`'s: saved searches are their owner's alone."""
    found = await conn.execute(
        select(tables.saved_searches).where(
            _s.tenant_id == tenant_id, _s.id == saved_search_id, _s.owner == owner
        )
    )
    row = found.mappings().first()
    return dict(row) if row else None


async def list_own(conn: AsyncConnection, tenant_id: UUID, owner: str, window: Window) -> Page:
    """A page of the owner's saved searches."""
    return await SAVED_SEARCHES.page(conn, tenant_id, window, owner=owner)


async def delete_saved_search(
    conn: AsyncConnection, tenant_id: UUID, saved_search_id: UUID
) -> None:
    """The saved search and what it matched."""
    await SAVED_SEARCHES.delete(conn, tenant_id, saved_search_id)
    await conn.execute(
        delete(tables.saved_search_matches).where(_m.saved_search_id == saved_search_id)
    )


# A match is made once and never changes; its candidate is what `ids` names.
_MATCH_KEYS = Keys.of(
    tables.saved_search_matches, created="matched_at", updated=None, id="candidate_id"
)


async def matches_of(conn: AsyncConnection, saved_search_id: UUID, window: Window) -> Page:
    """A page of the candidates that newly matched the saved search (newest first unless
    the window sorts otherwise)."""
    query = select(_m.saved_search_id, _m.candidate_id, _m.matched_at).where(
        _m.saved_search_id == saved_search_id
    )
    return await fetch_page(conn, query, _MATCH_KEYS, window)


async def alerting_tenants(conn: AsyncConnection) -> frozenset[str]:
    """The agencies that have a saved search with alerts on."""
    found = await conn.execute(select(_s.tenant_id).where(_s.alerts).distinct())
    return frozenset(str(row[0]) for row in found)


async def known_matches(
    conn: AsyncConnection, pairs: Sequence[tuple[UUID, UUID]]
) -> set[tuple[UUID, UUID]]:
    """Which (saved search, candidate) pairs have matched before."""
    if not pairs:
        return set()
    found = await conn.execute(
        select(_m.saved_search_id, _m.candidate_id).where(
            tuple_(_m.saved_search_id, _m.candidate_id).in_(list(pairs))
        )
    )
    return {(row[0], row[1]) for row in found}


async def record_matches(conn: AsyncConnection, matches: Sequence[dict[str, Any]]) -> None:
    """Remember matches (saved_search_id, tenant_id, candidate_id, owner, matched_at)."""
    if matches:
        await conn.execute(
            insert(tables.saved_search_matches).values(list(matches)).on_conflict_do_nothing()
        )
