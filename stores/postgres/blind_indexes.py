"""The blind indexes as stored: contact points (the duplicate guard) and match keys (the
possible-duplicates pool), and the hold that keeps them in step with the agency key
version they were made with.

Every digest of an agency is made with one version: the newest agency key. A transaction
that reads or writes digests first *holds* the agency's index (a shared advisory lock for
the transaction) and reads that version; a rotation recomputes every digest and adds the
new version under the exclusive hold, in one transaction. So a digest is never compared
with one made under another key: a create waits the seconds a rotation's switch takes,
then computes with the new version (docs/data.md, "Rotating keys").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ARRAY, Text, bindparam, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres.bulk import BULK_MIN_ROWS, copy_rows
from stores.postgres.tables import (
    agency_keys,
    candidate_contact_points,
    candidate_match_keys,
    person_keys,
)

# The advisory-lock namespace of blind indexes ("RTBI"); the second key is the agency's.
_LOCK_SPACE = 0x52544249
_cp = candidate_contact_points.c
_mk = candidate_match_keys.c


async def hold_index_version(
    conn: AsyncConnection, tenant_id: UUID, *, exclusive: bool = False
) -> int:
    """Hold the agency's blind indexes for this transaction and say which agency key
    version they are made with (0: the agency has no key yet)."""
    lock = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    await conn.execute(
        text(f"SELECT {lock}(:space, hashtext(:tenant))"),
        {"space": _LOCK_SPACE, "tenant": str(tenant_id)},
    )
    # A statement after the lock: its snapshot sees what a rotation committed meanwhile.
    found = await conn.execute(
        select(func.max(agency_keys.c.version)).where(agency_keys.c.tenant_id == tenant_id)
    )
    return int(found.scalar_one() or 0)


# --- match keys -------------------------------------------------------------------------


async def insert_match_keys(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Rows of tenant_id, candidate_id, kind, digest, key_version."""
    if not rows:
        return
    if len(rows) >= BULK_MIN_ROWS:
        await copy_rows(conn, candidate_match_keys, rows)
        return
    # The rows as parameters, not `.values(rows)`: compiled once, and with RETURNING sent
    # as one statement (stores/postgres/rows.py).
    await conn.execute(
        pg_insert(candidate_match_keys)
        .on_conflict_do_nothing()
        .returning(candidate_match_keys.c.digest),
        list(rows),
    )


async def delete_match_keys(
    conn: AsyncConnection, tenant_id: UUID, candidate_ids: Iterable[UUID]
) -> None:
    ids = list(candidate_ids)
    if ids:
        await conn.execute(
            delete(candidate_match_keys).where(
                _mk.tenant_id == tenant_id, _mk.candidate_id.in_(ids)
            )
        )


async def replace_match_keys(
    conn: AsyncConnection,
    tenant_id: UUID,
    candidate_ids: Iterable[UUID],
    rows: Sequence[dict[str, Any]],
) -> None:
    """These candidates' match keys become `rows`."""
    await delete_match_keys(conn, tenant_id, candidate_ids)
    await insert_match_keys(conn, rows)


# --- rotation and backfill ----------------------------------------------------------------


async def contact_points_of(
    conn: AsyncConnection, tenant_id: UUID
) -> list[tuple[str, str, int, UUID]]:
    """Every contact point of the agency: (kind, digest, key_version, candidate_id)."""
    found = await conn.execute(
        select(_cp.kind, _cp.digest, _cp.key_version, _cp.candidate_id).where(
            _cp.tenant_id == tenant_id
        )
    )
    return [(row.kind, row.digest, row.key_version, row.candidate_id) for row in found]


_REDIGEST = text(
    """
    UPDATE candidate_contact_points AS cp
    SET digest = m.new, key_version = :version
    FROM unnest(:kinds, :olds, :news) AS m(kind, old, new)
    WHERE cp.tenant_id = :tenant AND cp.kind = m.kind AND cp.digest = m.old
    """
).bindparams(
    bindparam("kinds", type_=ARRAY(Text)),
    bindparam("olds", type_=ARRAY(Text)),
    bindparam("news", type_=ARRAY(Text)),
)


async def redigest_contact_points(
    conn: AsyncConnection,
    tenant_id: UUID,
    changes: Sequence[tuple[str, str, str]],
    version: int,
) -> int:
    """Replace each (kind, old digest) of the agency's by its new digest made with
    `version`, in one statement; returns how many rows changed."""
    if not changes:
        return 0
    done = await conn.execute(
        _REDIGEST,
        {
            "tenant": tenant_id,
            "version": version,
            "kinds": [c[0] for c in changes],
            "olds": [c[1] for c in changes],
            "news": [c[2] for c in changes],
        },
    )
    return int(done.rowcount)


async def delete_contact_points(
    conn: AsyncConnection, tenant_id: UUID, points: Sequence[tuple[str, str]]
) -> None:
    """Delete these (kind, digest) of the agency's."""
    for kind, digest in points:
        await conn.execute(
            delete(candidate_contact_points).where(
                _cp.tenant_id == tenant_id, _cp.kind == kind, _cp.digest == digest
            )
        )


async def delete_all_match_keys(conn: AsyncConnection, tenant_id: UUID) -> None:
    await conn.execute(delete(candidate_match_keys).where(_mk.tenant_id == tenant_id))


async def tenants_with_clear_points(conn: AsyncConnection) -> list[UUID]:
    """Agencies with contact points from before encryption at rest (key_version 0)."""
    found = await conn.execute(select(_cp.tenant_id).where(_cp.key_version == 0).distinct())
    return [row[0] for row in found]


async def index_counts(conn: AsyncConnection, tenant_id: UUID) -> dict[str, dict[int, int]]:
    """How many person keys each agency key version wraps, and how many contact points and
    match keys were made with it."""
    counts: dict[str, dict[int, int]] = {}
    for name, table, column in (
        ("person keys", person_keys, person_keys.c.agency_key_version),
        ("contact points", candidate_contact_points, _cp.key_version),
        ("match keys", candidate_match_keys, _mk.key_version),
    ):
        found = await conn.execute(
            select(column, func.count())
            .select_from(table)
            .where(table.c.tenant_id == tenant_id)
            .group_by(column)
        )
        counts[name] = {int(row[0]): int(row[1]) for row in found}
    return counts
