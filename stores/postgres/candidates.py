"""Candidate rows and their contact points."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres.tables import candidate_contact_points, candidates

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
    "tags",
    "consent",
    "merged_into",
)
META_FIELDS: tuple[str, ...] = ("id", "tenant_id", "version", "created_at", "updated_at")


async def find_contact_owner(
    conn: AsyncConnection, tenant_id: UUID, points: Sequence[tuple[str, str]]
) -> tuple[UUID, str, str] | None:
    """The first candidate of the tenant already holding one of these (kind, value) points."""
    if not points:
        return None
    row = (
        await conn.execute(
            select(
                candidate_contact_points.c.candidate_id,
                candidate_contact_points.c.kind,
                candidate_contact_points.c.value,
            )
            .where(candidate_contact_points.c.tenant_id == tenant_id)
            .where(
                tuple_(candidate_contact_points.c.kind, candidate_contact_points.c.value).in_(
                    list(points)
                )
            )
            .limit(1)
        )
    ).first()
    return (row[0], row[1], row[2]) if row else None


async def insert_candidate(conn: AsyncConnection, row: dict[str, Any]) -> bool:
    """Insert the record; False when a candidate with this id already exists."""
    result = await conn.execute(
        pg_insert(candidates).values(**row).on_conflict_do_nothing(index_elements=["id"])
    )
    return bool(result.rowcount)


async def claim_contact_points(
    conn: AsyncConnection, tenant_id: UUID, candidate_id: UUID, points: Sequence[tuple[str, str]]
) -> bool:
    """Claim every point for the candidate; False when another candidate holds one.

    A concurrent claim of the same point waits for the other transaction and then
    finds it taken, so two racing creates can never both hold one email.
    """
    if not points:
        return True
    result = await conn.execute(
        pg_insert(candidate_contact_points)
        .values(
            [
                {"tenant_id": tenant_id, "kind": k, "value": v, "candidate_id": candidate_id}
                for k, v in points
            ]
        )
        .on_conflict_do_nothing()
    )
    return bool(result.rowcount == len(points))


async def get_candidate(
    conn: AsyncConnection, tenant_id: UUID, candidate_id: UUID
) -> dict[str, Any] | None:
    row = (
        (
            await conn.execute(
                select(candidates).where(
                    candidates.c.tenant_id == tenant_id, candidates.c.id == candidate_id
                )
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


async def list_candidates(
    conn: AsyncConnection,
    tenant_id: UUID,
    *,
    limit: int,
    after: tuple[datetime, UUID] | None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    """Newest first; `after` is the (created_at, id) of the last row of the previous page."""
    query = select(candidates).where(candidates.c.tenant_id == tenant_id)
    if status:
        query = query.where(candidates.c.status == status)
    if after is not None:
        created_at, last_id = after
        query = query.where(
            or_(
                candidates.c.created_at < created_at,
                and_(candidates.c.created_at == created_at, candidates.c.id < last_id),
            )
        )
    query = query.order_by(candidates.c.created_at.desc(), candidates.c.id.desc()).limit(limit)
    return [dict(r) for r in (await conn.execute(query)).mappings().all()]
