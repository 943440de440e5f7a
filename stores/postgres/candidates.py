"""Candidate rows and their contact points."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ARRAY, Text, Uuid, and_, bindparam, delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres.bulk import BULK_MIN_ROWS, copy_rows
from stores.postgres.keyset import Page, Window, fetch_page
from stores.postgres.rows import Row, Rows
from stores.postgres.tables import candidate_contact_points, candidates, submissions

CANDIDATES = Rows(candidates, "candidate")
"""The shared reads; a candidate's writes go through the functions below (contact points)."""

# Columns that live in Postgres; the rest of a candidate is its Mongo profile.
RECORD_FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "emails",
    "phones",
    "headline",
    "location",
    "source",
    "owner_id",
    "status",
    "available_from",
    "desired_rate",
    "desired_salary",
    "work_authorization",
    "willing_to_relocate",
    "tags",
    "consent",
    "merged_into",
)
META_FIELDS: tuple[str, ...] = ("id", "tenant_id", "version", "created_at", "updated_at")


ContactKey = tuple[UUID, str, str]
"""(tenant_id, kind, digest): an email or phone one candidate of a tenant holds, as the
blind index of its normalised value (stores/at_rest.py)."""

Claim = tuple[ContactKey, UUID, int]
"""(contact point, candidate id, the agency key version its digest was made with)"""


# One statement whatever the number of keys: the keys travel as three arrays (a cached
# plan), where a row-value IN list made a new statement, and a slow plan, per batch size.
# Each key is its own probe of the primary key (LATERAL, kept apart by OFFSET 0): joined
# plainly, the planner hashed the whole table for an import's thousands of keys, a scan
# that grows with every candidate stored, where the probes do not.
_HOLDERS = text(
    """
    SELECT k.tenant_id, k.kind, k.digest, cp.candidate_id
    FROM unnest(:tenant_ids, :kinds, :digests) AS k(tenant_id, kind, digest)
    CROSS JOIN LATERAL (
        SELECT c.candidate_id FROM candidate_contact_points AS c
        WHERE c.tenant_id = k.tenant_id AND c.kind = k.kind AND c.digest = k.digest
        OFFSET 0
    ) AS cp
    """
).bindparams(
    bindparam("tenant_ids", type_=ARRAY(Uuid)),
    bindparam("kinds", type_=ARRAY(Text)),
    bindparam("digests", type_=ARRAY(Text)),
)


async def contact_holders(
    conn: AsyncConnection, keys: Sequence[ContactKey]
) -> dict[ContactKey, UUID]:
    """Which candidate holds each of these contact points, for those that are held."""
    if not keys:
        return {}
    unique = list(dict.fromkeys(keys))
    rows = await conn.execute(
        _HOLDERS,
        {
            "tenant_ids": [k[0] for k in unique],
            "kinds": [k[1] for k in unique],
            "digests": [k[2] for k in unique],
        },
    )
    return {(r[0], r[1], r[2]): r[3] for r in rows}


async def insert_candidates(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> set[UUID]:
    """Insert records; returns the ids inserted (an id that already exists is skipped).

    A large set is copied in bulk: there an existing id fails the transaction instead.
    """
    if not rows:
        return set()
    if len(rows) >= BULK_MIN_ROWS:
        await copy_rows(conn, candidates, rows)
        return {row["id"] for row in rows}
    # The rows as parameters, not `.values(rows)`: compiled once (stores/postgres/rows.py).
    result = await conn.execute(
        pg_insert(candidates)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(candidates.c.id),
        list(rows),
    )
    return set(result.scalars())


async def claim_contact_points(conn: AsyncConnection, claims: Sequence[Claim]) -> bool:
    """Claim each point for its candidate; False when another candidate holds one.

    A concurrent claim of the same point waits for the other transaction and then finds
    it taken, so two racing creates can never both hold one email.
    """
    if not claims:
        return True
    points = [
        {"tenant_id": t, "kind": k, "digest": d, "key_version": version, "candidate_id": cid}
        for (t, k, d), cid, version in claims
    ]
    if len(points) >= BULK_MIN_ROWS:
        # A point taken meanwhile fails the COPY, and with it the transaction.
        await copy_rows(conn, candidate_contact_points, points)
        return True
    claimed = await conn.execute(
        pg_insert(candidate_contact_points)
        .on_conflict_do_nothing()
        .returning(candidate_contact_points.c.digest),
        points,
    )
    return len(claimed.all()) == len(claims)


async def lock_candidate(
    conn: AsyncConnection, tenant_id: UUID, candidate_id: UUID
) -> dict[str, Any] | None:
    """The record, locked for this transaction: concurrent changes queue behind it."""
    return await CANDIDATES.get(conn, tenant_id, candidate_id, lock=True)


async def update_candidate(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(
        update(candidates)
        .where(candidates.c.id == row["id"], candidates.c.tenant_id == row["tenant_id"])
        .values(**{k: v for k, v in row.items() if k not in ("id", "tenant_id", "created_at")})
    )


async def release_contact_points(
    conn: AsyncConnection, candidate_id: UUID, keys: Sequence[ContactKey]
) -> None:
    cp = candidate_contact_points.c
    for tenant_id, kind, digest in keys:
        await conn.execute(
            delete(candidate_contact_points).where(
                cp.tenant_id == tenant_id,
                cp.kind == kind,
                cp.digest == digest,
                cp.candidate_id == candidate_id,
            )
        )


async def get_candidate(
    conn: AsyncConnection, tenant_id: UUID, candidate_id: UUID
) -> dict[str, Any] | None:
    return await CANDIDATES.get(conn, tenant_id, candidate_id)


async def merged_into(
    conn: AsyncConnection, tenant_id: UUID, candidate_id: UUID
) -> list[dict[str, Any]]:
    """The records of every duplicate folded into the candidate, directly or through
    another duplicate that was folded in later, oldest first."""
    c = candidates.c
    folded = (
        select(c.id)
        .where(c.tenant_id == tenant_id, c.merged_into == candidate_id)
        .cte("folded", recursive=True)
    )
    deeper = candidates.alias("deeper")
    folded = folded.union(
        select(deeper.c.id).where(
            deeper.c.tenant_id == tenant_id, deeper.c.merged_into == folded.c.id
        )
    )
    found = await conn.execute(
        select(candidates)
        .where(c.tenant_id == tenant_id, c.id.in_(select(folded.c.id)))
        .order_by(c.created_at, c.id)
    )
    return [dict(r) for r in found.mappings().all()]


async def list_candidates(
    conn: AsyncConnection, tenant_id: UUID, window: Window, *, status: str | None = None
) -> Page:
    """One page of the agency's listed candidates, as the window says."""
    # Merged duplicates answer by id (with merged_into) but are not listed.
    query = select(candidates).where(
        candidates.c.tenant_id == tenant_id, candidates.c.merged_into.is_(None)
    )
    if status:
        query = query.where(candidates.c.status == status)
    return await fetch_page(conn, query, CANDIDATES.keys, window)


# Candidates sharing a first or last name, a phone tail, an email name or a company
# domain: cheap to find, and every real near-duplicate shares at least one of these. The
# last three are looked up by their blind indexes (candidate_match_keys), as the records
# hold them sealed.
_DUPLICATE_POOL = text(
    """
    SELECT id, tenant_id, first_name, last_name, emails, phones, location
    FROM candidates
    WHERE tenant_id = :tenant AND id <> :id AND (
        lower(last_name) = lower(:last) OR lower(first_name) = lower(:first)
        OR id IN (SELECT candidate_id FROM candidate_match_keys
                  WHERE tenant_id = :tenant AND digest = ANY(:digests))
    )
    LIMIT :limit
    """
).bindparams(bindparam("digests", type_=ARRAY(Text)))


async def duplicate_pool(
    conn: AsyncConnection,
    tenant_id: UUID,
    candidate_id: UUID,
    *,
    first_name: str,
    last_name: str,
    match_digests: Sequence[str],
    limit: int,
) -> list[Row]:
    """Records that might be the same person as `candidate_id`, for the scorer to judge:
    same first or last name, or a match key (`domain.duplicates.match_keys`) in common."""
    found = await conn.execute(
        _DUPLICATE_POOL,
        {
            "tenant": tenant_id,
            "id": candidate_id,
            "first": first_name,
            "last": last_name,
            "digests": list(match_digests),
            "limit": limit,
        },
    )
    return [dict(r) for r in found.mappings()]


async def count_listed(conn: AsyncConnection, tenant_id: UUID | None) -> int:
    """Candidates that are listed (not merged away), of one agency or of all."""
    query = select(func.count()).select_from(candidates).where(candidates.c.merged_into.is_(None))
    if tenant_id is not None:
        query = query.where(candidates.c.tenant_id == tenant_id)
    return int((await conn.execute(query)).scalar_one())


async def listed_page(
    conn: AsyncConnection,
    tenant_id: UUID | None,
    *,
    limit: int,
    after: tuple[datetime, UUID] | None,
    changed_since: datetime | None = None,
) -> list[Row]:
    """Listed candidates in (created_at, id) order, from after `after`, of one agency or all.

    With `changed_since`, only those that changed, or moved in the pipeline, since then.
    """
    c = candidates.c
    query = select(candidates).where(c.merged_into.is_(None))
    if tenant_id is not None:
        query = query.where(c.tenant_id == tenant_id)
    if changed_since is not None:
        moved = select(submissions.c.candidate_id).where(submissions.c.updated_at >= changed_since)
        query = query.where(or_(c.updated_at >= changed_since, c.id.in_(moved)))
    if after is not None:
        query = query.where(
            or_(c.created_at > after[0], and_(c.created_at == after[0], c.id > after[1]))
        )
    query = query.order_by(c.created_at, c.id).limit(limit)
    return [dict(r) for r in (await conn.execute(query)).mappings().all()]


# --- contact values at rest: rotation and backfill ------------------------------------------

_CONTACT_COLUMNS = (candidates.c.id, candidates.c.tenant_id, candidates.c.version)


async def contact_values_page(
    conn: AsyncConnection, tenant_id: UUID, *, after: UUID | None, limit: int
) -> list[Row]:
    """Every candidate of the agency (merged ones too) with its e-mails and phones, in id
    order from after `after`."""
    c = candidates.c
    query = select(*_CONTACT_COLUMNS, c.emails, c.phones).where(c.tenant_id == tenant_id)
    if after is not None:
        query = query.where(c.id > after)
    query = query.order_by(c.id).limit(limit)
    return [dict(r) for r in (await conn.execute(query)).mappings()]


async def contact_values_of(
    conn: AsyncConnection, tenant_id: UUID, candidate_ids: Sequence[UUID]
) -> list[Row]:
    c = candidates.c
    found = await conn.execute(
        select(*_CONTACT_COLUMNS, c.emails, c.phones).where(
            c.tenant_id == tenant_id, c.id.in_(list(candidate_ids))
        )
    )
    return [dict(r) for r in found.mappings()]


async def candidate_versions(conn: AsyncConnection, tenant_id: UUID) -> dict[UUID, int]:
    """id → version of every candidate of the agency."""
    c = candidates.c
    found = await conn.execute(select(c.id, c.version).where(c.tenant_id == tenant_id))
    return {row.id: row.version for row in found}


async def count_candidates(conn: AsyncConnection, tenant_id: UUID) -> int:
    query = select(func.count()).select_from(candidates).where(candidates.c.tenant_id == tenant_id)
    return int((await conn.execute(query)).scalar_one())


_IN_CLEAR = text(
    """
    SELECT id, tenant_id, emails, phones FROM candidates
    WHERE EXISTS (SELECT 1 FROM unnest(emails || phones) AS v WHERE v NOT LIKE 'rt1:%')
    ORDER BY tenant_id, id
    LIMIT :limit
    FOR UPDATE
    """
)


async def candidates_in_clear(conn: AsyncConnection, limit: int) -> list[Row]:
    """A batch of candidates whose e-mails or phones are not sealed yet (written before
    encryption at rest), locked for this transaction."""
    return [dict(r) for r in (await conn.execute(_IN_CLEAR, {"limit": limit})).mappings()]


async def set_contact_values(conn: AsyncConnection, rows: Sequence[Row]) -> None:
    """Write e-mails and phones as given (sealed), without a new version: the candidate
    did not change, only how it is kept."""
    for row in rows:
        await conn.execute(
            update(candidates)
            .where(candidates.c.tenant_id == row["tenant_id"], candidates.c.id == row["id"])
            .values(emails=row["emails"], phones=row["phones"])
        )
