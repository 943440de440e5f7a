"""Integrations' API keys."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres.tables import api_keys


async def insert_api_key(conn: AsyncConnection, **row: Any) -> None:
    await conn.execute(insert(api_keys).values(**row))


async def get_active_key(conn: AsyncConnection, prefix: str) -> dict[str, Any] | None:
    row = (
        (
            await conn.execute(
                select(api_keys).where(api_keys.c.prefix == prefix, api_keys.c.revoked_at.is_(None))
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


async def revoke_api_key(conn: AsyncConnection, key_id: UUID) -> bool:
    result = await conn.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    return bool(result.rowcount)
