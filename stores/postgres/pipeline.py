"""The pipeline: submissions, placements, interviews and their feedback."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres import tables
from stores.postgres.rows import Rows

SUBMISSIONS = Rows(tables.submissions, "submission", jsonb=frozenset({"history"}))
PLACEMENTS = Rows(tables.placements, "placement")
# Listed in the order they take place, and in the order they were given.
INTERVIEWS = Rows(tables.interviews, "interview", natural=("scheduled_at", False))
FEEDBACK = Rows(tables.feedback, "feedback", natural=("created_at", False))

_s = tables.submissions.c
_p = tables.placements.c


async def submission_of(
    conn: AsyncConnection, tenant_id: UUID, candidate_id: UUID, requisition_id: UUID
) -> UUID | None:
    """The candidate's submission to the requisition, if there is one (there is at most one)."""
    found = await conn.execute(
        select(_s.id).where(
            _s.tenant_id == tenant_id,
            _s.candidate_id == candidate_id,
            _s.requisition_id == requisition_id,
        )
    )
    return found.scalar()


async def submissions_to(
    conn: AsyncConnection, tenant_id: UUID, requisition_id: UUID
) -> dict[UUID, UUID]:
    """Candidate id → submission id, for everyone in the requisition's pipeline."""
    found = await conn.execute(
        select(_s.candidate_id, _s.id).where(
            _s.tenant_id == tenant_id, _s.requisition_id == requisition_id
        )
    )
    return {row[0]: row[1] for row in found}


async def submissions_of(
    conn: AsyncConnection, tenant_id: UUID, candidate_id: UUID
) -> dict[UUID, UUID]:
    """Requisition id → submission id, for every pipeline the candidate is in."""
    found = await conn.execute(
        select(_s.requisition_id, _s.id).where(
            _s.tenant_id == tenant_id, _s.candidate_id == candidate_id
        )
    )
    return {row[0]: row[1] for row in found}


async def submission_stages(
    conn: AsyncConnection, candidate_ids: Sequence[UUID]
) -> dict[str, dict[str, dict[str, Any]]]:
    """Candidate id → submission id → {stage, version}: what a search document folds in."""
    found = await conn.execute(
        select(_s.candidate_id, _s.id, _s.stage, _s.version).where(
            _s.candidate_id.in_(list(candidate_ids))
        )
    )
    entries: dict[str, dict[str, dict[str, Any]]] = {}
    for candidate_id, submission_id, stage, version in found:
        entries.setdefault(str(candidate_id), {})[str(submission_id)] = {
            "stage": stage,
            "version": version,
        }
    return entries


async def count_active_placements(
    conn: AsyncConnection, tenant_id: UUID, requisition_id: UUID
) -> int:
    """How many of the requisition's openings active placements fill."""
    found = await conn.execute(
        select(func.count())
        .select_from(tables.placements)
        .where(
            _p.tenant_id == tenant_id,
            _p.requisition_id == requisition_id,
            _p.status == "active",
        )
    )
    return int(found.scalar_one())


async def count_other_active_placements(
    conn: AsyncConnection, tenant_id: UUID, candidate_id: UUID, placement_id: UUID
) -> int:
    """The candidate's active placements other than `placement_id`."""
    found = await conn.execute(
        select(func.count())
        .select_from(tables.placements)
        .where(
            _p.tenant_id == tenant_id,
            _p.candidate_id == candidate_id,
            _p.status == "active",
            _p.id != placement_id,
        )
    )
    return int(found.scalar_one())
