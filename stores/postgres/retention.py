"""Retention: each agency's policy, and the facts about its candidates the rule judges
(domain/retention.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres.tables import candidates, retention_policies

Row = dict[str, Any]

NO_ID = UUID(int=0)
"""Below every candidate id: where the first page starts."""


async def get_policy(conn: AsyncConnection, tenant_id: UUID) -> Row | None:
    """The agency's policy row (inactive_months, updated_at, updated_by), if ever set."""
    found = await conn.execute(
        select(retention_policies).where(retention_policies.c.tenant_id == tenant_id)
    )
    row = found.mappings().first()
    return dict(row) if row else None


async def put_policy(
    conn: AsyncConnection,
    tenant_id: UUID,
    *,
    inactive_months: int | None,
    updated_by: str,
    updated_at: datetime,
) -> Row:
    """Set the agency's policy (None: off); returns the stored row."""
    values = {
        "inactive_months": inactive_months,
        "updated_by": updated_by,
        "updated_at": updated_at,
    }
    stored = await conn.execute(
        insert(retention_policies)
        .values(tenant_id=tenant_id, **values)
        .on_conflict_do_update(index_elements=["tenant_id"], set_=values)
        .returning(retention_policies)
    )
    return dict(stored.mappings().one())


# One row per candidate with the latest of each kind of activity. Only candidates whose
# record has not changed since the cutoff are read: the record's change is one of the
# activities, so a candidate changed later cannot be due. Every lateral probe uses an
# index that starts with the tenant and the candidate (or the submission).
_FACTS = text(
    """
    SELECT c.id, c.updated_at AS record_updated_at, c.consent,
           s.stages AS submission_stages, s.submission_at,
           n.note_at, d.document_at, i.interview_at,
           p.statuses AS placement_statuses, p.placement_at, p.placement_ended
    FROM candidates AS c
    LEFT JOIN LATERAL (
        SELECT array_agg(s.stage) AS stages, max(s.updated_at) AS submission_at
        FROM submissions AS s
        WHERE s.tenant_id = c.tenant_id AND s.candidate_id = c.id
    ) AS s ON true
    LEFT JOIN LATERAL (
        SELECT max(n.updated_at) AS note_at
        FROM notes AS n
        WHERE n.tenant_id = c.tenant_id AND (
            (n.subject_type = 'candidate' AND n.subject_id = c.id)
            OR (n.subject_type = 'submission' AND n.subject_id IN (
                SELECT s.id FROM submissions AS s
                WHERE s.tenant_id = c.tenant_id AND s.candidate_id = c.id))
        )
    ) AS n ON true
    LEFT JOIN LATERAL (
        SELECT max(d.created_at) AS document_at
        FROM documents AS d
        WHERE d.tenant_id = c.tenant_id AND d.candidate_id = c.id
    ) AS d ON true
    LEFT JOIN LATERAL (
        SELECT max(GREATEST(i.scheduled_at, i.updated_at, f.updated_at)) AS interview_at
        FROM submissions AS s
        JOIN interviews AS i ON i.submission_id = s.id
        LEFT JOIN feedback AS f ON f.interview_id = i.id
        WHERE s.tenant_id = c.tenant_id AND s.candidate_id = c.id
    ) AS i ON true
    LEFT JOIN LATERAL (
        SELECT array_agg(p.status) AS statuses, max(p.updated_at) AS placement_at,
               max(p.end_date) AS placement_ended
        FROM submissions AS s
        JOIN placements AS p ON p.submission_id = s.id
        WHERE s.tenant_id = c.tenant_id AND s.candidate_id = c.id
    ) AS p ON true
    WHERE c.tenant_id = :tenant AND c.updated_at <= :cutoff AND c.id > :after
    ORDER BY c.id
    LIMIT :limit
    """
)


async def count_unchanged_since(conn: AsyncConnection, tenant_id: UUID, cutoff: datetime) -> int:
    """How many of the agency's candidates `candidate_facts` will read for this cutoff."""
    found = await conn.execute(
        select(func.count())
        .select_from(candidates)
        .where(candidates.c.tenant_id == tenant_id, candidates.c.updated_at <= cutoff)
    )
    return int(found.scalar_one())


async def candidate_facts(
    conn: AsyncConnection, tenant_id: UUID, cutoff: datetime, *, after: UUID | None, limit: int
) -> list[Row]:
    """A page, in id order after `after`, of the agency's candidates whose record has not
    changed since `cutoff`, with the latest of each kind of activity, their submissions'
    stages, their placements' statuses and latest end date, and their consent."""
    found = await conn.execute(
        _FACTS, {"tenant": tenant_id, "cutoff": cutoff, "after": after or NO_ID, "limit": limit}
    )
    return [dict(r) for r in found.mappings()]
