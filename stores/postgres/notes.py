"""Notes, and the records a note may be written on."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres import tables
from stores.postgres.candidates import CANDIDATES
from stores.postgres.clients import CLIENTS, CONTACTS
from stores.postgres.pipeline import SUBMISSIONS
from stores.postgres.requisitions import REQUISITIONS
from stores.postgres.rows import Rows

NOTES = Rows(tables.notes, "note")

SUBJECTS: dict[str, Rows] = {
    "candidate": CANDIDATES,
    "client": CLIENTS,
    "contact": CONTACTS,
    "requisition": REQUISITIONS,
    "submission": SUBMISSIONS,
}
"""Where each kind of record a note is about lives."""


async def subject_exists(
    conn: AsyncConnection, tenant_id: UUID, subject_type: str, subject_id: UUID
) -> bool:
    """Whether the agency has the record a note would be written on."""
    return await SUBJECTS[subject_type].get(conn, tenant_id, subject_id) is not None
