"""Document metadata rows (the files are in MongoDB)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres.keyset import Page, Window
from stores.postgres.rows import Rows
from stores.postgres.tables import documents

# Listed oldest first: a candidate's resumes in the order they came.
DOCUMENTS = Rows(documents, "document", natural=("created_at", False))


async def insert_documents(conn: AsyncConnection, new: Sequence[dict[str, Any]]) -> bool:
    return len(await DOCUMENTS.insert_new(conn, new)) == len(new)


async def list_documents(
    conn: AsyncConnection, tenant_id: UUID, candidate_id: UUID
) -> list[dict[str, Any]]:
    return await DOCUMENTS.where(conn, tenant_id, order_by="created_at", candidate_id=candidate_id)


async def documents_page(
    conn: AsyncConnection, tenant_id: UUID, candidate_id: UUID, window: Window
) -> Page:
    return await DOCUMENTS.page(conn, tenant_id, window, candidate_id=candidate_id)


async def get_document(
    conn: AsyncConnection, tenant_id: UUID, candidate_id: UUID, document_id: UUID
) -> dict[str, Any] | None:
    """The document's row, if it is the agency's and the candidate's."""
    found = await DOCUMENTS.get(conn, tenant_id, document_id)
    return found if found is not None and found["candidate_id"] == candidate_id else None


async def latest_documents(
    conn: AsyncConnection, candidate_ids: Sequence[UUID]
) -> list[tuple[UUID, UUID, UUID]]:
    """(candidate_id, document_id, tenant_id) of each candidate's newest document."""
    found = await conn.execute(
        select(documents.c.candidate_id, documents.c.id, documents.c.tenant_id)
        .where(documents.c.candidate_id.in_(list(candidate_ids)))
        .order_by(documents.c.candidate_id, documents.c.created_at.desc())
        .ext(distinct_on(documents.c.candidate_id))
    )
    return [(row[0], row[1], row[2]) for row in found]


async def delete_documents(
    conn: AsyncConnection, tenant_id: UUID, candidate_id: UUID
) -> list[UUID]:
    """Delete a candidate's document rows; returns their ids, for the files to go too."""
    result = await conn.execute(
        delete(documents)
        .where(documents.c.tenant_id == tenant_id, documents.c.candidate_id == candidate_id)
        .returning(documents.c.id)
    )
    return list(result.scalars())
