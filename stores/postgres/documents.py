"""Document metadata rows (the files are in MongoDB)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres import rows
from stores.postgres.tables import documents


async def insert_documents(conn: AsyncConnection, new: Sequence[dict[str, Any]]) -> bool:
    return len(await rows.insert_new_rows(conn, documents, new)) == len(new)


async def list_documents(
    conn: AsyncConnection, tenant_id: UUID, candidate_id: UUID
) -> list[dict[str, Any]]:
    result = await conn.execute(
        select(documents)
        .where(documents.c.tenant_id == tenant_id, documents.c.candidate_id == candidate_id)
        .order_by(documents.c.created_at)
    )
    return [dict(r) for r in result.mappings()]


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
