"""Erasing a candidate from Postgres, keeping only the anonymous facts analytics need.

Kept: submissions (stage history with dates and actors), interviews' dates and ratings,
placements' economics; each still carries the candidate's id, which no longer leads
to a person. Gone: the record, its emails and phones and their blind indexes, notes on
the person and on their submissions, the reasons written on their stage changes and
placements, interview feedback prose, the events the command ledger kept for replays, and
the person's key (so every sealed copy of their data, in any topic or backup, stops
opening).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Literal
from uuid import UUID

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres.blind_indexes import delete_match_keys
from stores.postgres.keys import delete_person_keys
from stores.postgres.tables import (
    candidate_contact_points,
    candidates,
    contacts,
    erasures,
    feedback,
    interviews,
    notes,
    placements,
    requisitions,
    saved_search_matches,
    submissions,
)
from topics.candidates import CandidateErased


async def merged_into(conn: AsyncConnection, tenant_id: UUID, candidate_id: UUID) -> list[UUID]:
    """The candidates merged into this one, directly or through another merged one: the
    same person, whose erasure is this one's."""
    found = await conn.execute(
        text(
            "WITH RECURSIVE family(id) AS ("
            " SELECT id FROM candidates WHERE tenant_id = :tenant AND merged_into = :id"
            " UNION SELECT c.id FROM candidates c JOIN family f ON c.merged_into = f.id"
            " WHERE c.tenant_id = :tenant)"
            " SELECT id FROM family"
        ),
        {"tenant": tenant_id, "id": candidate_id},
    )
    return [row[0] for row in found]


async def erase_candidate_data(conn: AsyncConnection, tenant_id: UUID, candidate_id: UUID) -> None:
    await conn.execute(
        delete(candidate_contact_points).where(
            candidate_contact_points.c.tenant_id == tenant_id,
            candidate_contact_points.c.candidate_id == candidate_id,
        )
    )
    await delete_match_keys(conn, tenant_id, [candidate_id])
    await conn.execute(
        delete(notes).where(
            notes.c.tenant_id == tenant_id,
            notes.c.subject_type == "candidate",
            notes.c.subject_id == candidate_id,
        )
    )
    await conn.execute(
        delete(saved_search_matches).where(
            saved_search_matches.c.tenant_id == tenant_id,
            saved_search_matches.c.candidate_id == candidate_id,
        )
    )
    their_submissions = select(submissions.c.id).where(
        submissions.c.tenant_id == tenant_id, submissions.c.candidate_id == candidate_id
    )
    await conn.execute(
        delete(notes).where(
            notes.c.tenant_id == tenant_id,
            notes.c.subject_type == "submission",
            notes.c.subject_id.in_(their_submissions),
        )
    )
    # A stage change's reason is free text about the person ("withdrew: moving to Leeds"):
    # the move, its date and its actor stay for the pipeline's numbers, the words go.
    await conn.execute(
        text(
            "UPDATE submissions SET history = (SELECT jsonb_agg(entry - 'reason' ORDER BY n)"
            " FROM jsonb_array_elements(history) WITH ORDINALITY AS h(entry, n))"
            " WHERE tenant_id = :tenant AND candidate_id = :id AND jsonb_array_length(history) > 0"
        ),
        {"tenant": tenant_id, "id": candidate_id},
    )
    await conn.execute(
        update(placements)
        .where(placements.c.tenant_id == tenant_id, placements.c.candidate_id == candidate_id)
        .values(end_reason=None)
    )
    await delete_person_keys(conn, tenant_id, [candidate_id])
    their_interviews = (
        select(interviews.c.id)
        .join(submissions, submissions.c.id == interviews.c.submission_id)
        .where(submissions.c.tenant_id == tenant_id, submissions.c.candidate_id == candidate_id)
    )
    await conn.execute(
        update(feedback).where(feedback.c.interview_id.in_(their_interviews)).values(notes=None)
    )
    # Replays re-emit what the ledger kept: drop every kept event about this candidate
    # (its own commands', and those other commands emitted, such as a placement's).
    await conn.execute(
        text(
            "UPDATE processed_commands SET events = jsonb_path_query_array("
            "events, '$[*] ? (@.aggregate_id != $id)', jsonb_build_object('id', CAST(:id AS text)))"
            " WHERE tenant_id = :tenant AND events @> jsonb_build_array("
            "jsonb_build_object('aggregate_id', CAST(:id AS text)))"
        ),
        {"id": str(candidate_id), "tenant": tenant_id},
    )
    await conn.execute(
        delete(candidates).where(
            candidates.c.tenant_id == tenant_id, candidates.c.id == candidate_id
        )
    )


async def erase_contact_data(conn: AsyncConnection, tenant_id: UUID, contact_id: UUID) -> None:
    """A client's contact goes: the record, notes on them, their key; requisitions they
    were the contact for keep their history and lose only the link."""
    await conn.execute(
        delete(notes).where(
            notes.c.tenant_id == tenant_id,
            notes.c.subject_type == "contact",
            notes.c.subject_id == contact_id,
        )
    )
    await conn.execute(
        update(requisitions)
        .where(requisitions.c.tenant_id == tenant_id, requisitions.c.contact_id == contact_id)
        .values(contact_id=None)
    )
    await delete_person_keys(conn, tenant_id, [contact_id])
    await conn.execute(
        delete(contacts).where(contacts.c.tenant_id == tenant_id, contacts.c.id == contact_id)
    )


async def record_erasure(conn: AsyncConnection, erased: CandidateErased) -> None:
    await conn.execute(
        erasures.insert().values(
            id=uuid.uuid4(),
            tenant_id=erased.tenant_id,
            candidate_id=erased.id,
            erased_by=erased.erased_by,
            erased_at=erased.erased_at,
        )
    )


async def erased_since(conn: AsyncConnection, since: datetime) -> list[UUID]:
    """Candidates erased at or after `since`."""
    found = await conn.execute(select(erasures.c.candidate_id).where(erasures.c.erased_at >= since))
    return [UUID(str(row[0])) for row in found]


async def still_held(
    conn: AsyncConnection, kind: Literal["candidate", "contact"], ids: Sequence[UUID]
) -> set[UUID]:
    """Which of these people the database holds a record of (after a restore: people whose
    erasure came after the backup)."""
    table = candidates if kind == "candidate" else contacts
    held: set[UUID] = set()
    for start in range(0, len(ids), 1000):
        chunk = list(ids[start : start + 1000])
        found = await conn.execute(select(table.c.id).where(table.c.id.in_(chunk)))
        held.update(UUID(str(row[0])) for row in found)
    return held
