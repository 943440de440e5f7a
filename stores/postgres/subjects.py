"""Whose record a pipeline command is about: the candidate of each submission."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres.tables import submissions

_s = submissions.c


async def candidates_of_submissions(
    conn: AsyncConnection, tenant_id: UUID, submission_ids: Iterable[UUID]
) -> dict[UUID, UUID]:
    """submission id → candidate id, for the agency's submissions among these."""
    ids = list(set(submission_ids))
    if not ids:
        return {}
    found = await conn.execute(
        select(_s.id, _s.candidate_id).where(_s.tenant_id == tenant_id, _s.id.in_(ids))
    )
    return {row.id: row.candidate_id for row in found}
