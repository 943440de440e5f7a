"""Moving what belongs to a duplicate candidate over to the survivor."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import and_, exists, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres.tables import (
    candidate_contact_points,
    documents,
    notes,
    placements,
    submissions,
)
from topics.candidates import MovedSubmission


async def move_candidate_records(
    conn: AsyncConnection, tenant_id: UUID, duplicate_id: UUID, survivor_id: UUID
) -> tuple[list[MovedSubmission], int]:
    """Move submissions, placements, notes and contact points.

    Returns the submissions moved (with their stage, for the search index) and how many
    notes were.

    A submission to a requisition the survivor is already in stays with the duplicate:
    one submission per candidate and requisition, and the survivor's is the live one.
    """
    theirs = submissions.alias("theirs")
    moved_submissions = await conn.execute(
        update(submissions)
        .where(
            submissions.c.tenant_id == tenant_id,
            submissions.c.candidate_id == duplicate_id,
            ~exists(
                select(theirs.c.id).where(
                    and_(
                        theirs.c.tenant_id == tenant_id,
                        theirs.c.candidate_id == survivor_id,
                        theirs.c.requisition_id == submissions.c.requisition_id,
                    )
                )
            ),
        )
        .values(candidate_id=survivor_id)
        .returning(submissions.c.id, submissions.c.stage, submissions.c.version)
    )
    moved = [MovedSubmission(id=r.id, stage=r.stage, version=r.version) for r in moved_submissions]
    await conn.execute(
        update(placements)
        .where(placements.c.tenant_id == tenant_id, placements.c.candidate_id == duplicate_id)
        .values(candidate_id=survivor_id)
    )
    moved_notes = await conn.execute(
        update(notes)
        .where(
            notes.c.tenant_id == tenant_id,
            notes.c.subject_type == "candidate",
            notes.c.subject_id == duplicate_id,
        )
        .values(subject_id=survivor_id)
    )
    await conn.execute(
        update(documents)
        .where(documents.c.tenant_id == tenant_id, documents.c.candidate_id == duplicate_id)
        .values(candidate_id=survivor_id)
    )
    await conn.execute(
        update(candidate_contact_points)
        .where(
            candidate_contact_points.c.tenant_id == tenant_id,
            candidate_contact_points.c.candidate_id == duplicate_id,
        )
        .values(candidate_id=survivor_id)
    )
    return moved, int(moved_notes.rowcount)
