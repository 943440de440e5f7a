"""Tenants and users."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres.tables import tenants, users


async def ensure_tenant(conn: AsyncConnection, slug: str, name: str | None = None) -> UUID:
    await conn.execute(
        insert(tenants)
        .values(id=uuid.uuid4(), slug=slug, name=name or slug)
        .on_conflict_do_nothing(index_elements=["slug"])
    )
    result = await conn.execute(select(tenants.c.id).where(tenants.c.slug == slug))
    return UUID(str(result.scalar_one()))


async def find_tenant(conn: AsyncConnection, slug: str) -> UUID | None:
    result = await conn.execute(select(tenants.c.id).where(tenants.c.slug == slug))
    found = result.scalar_one_or_none()
    return None if found is None else UUID(str(found))


async def upsert_user(
    conn: AsyncConnection, *, tenant_id: UUID, username: str, password_hash: str, role: str
) -> UUID:
    stmt = (
        insert(users)
        .values(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            username=username,
            password_hash=password_hash,
            role=role,
        )
        .on_conflict_do_update(
            index_elements=["username"],
            set_={"password_hash": password_hash, "role": role, "tenant_id": tenant_id},
        )
        .returning(users.c.id)
    )
    return UUID(str((await conn.execute(stmt)).scalar_one()))


async def get_user_by_username(conn: AsyncConnection, username: str) -> dict[str, Any] | None:
    row = (await conn.execute(select(users).where(users.c.username == username))).mappings().first()
    return dict(row) if row else None


async def get_user(conn: AsyncConnection, user_id: UUID) -> dict[str, Any] | None:
    row = (await conn.execute(select(users).where(users.c.id == user_id))).mappings().first()
    return dict(row) if row else None


async def usernames(
    conn: AsyncConnection, tenant_id: UUID, user_ids: Sequence[UUID]
) -> dict[UUID, str]:
    """The usernames of those of `user_ids` who are the agency's users."""
    if not user_ids:
        return {}
    found = await conn.execute(
        select(users.c.id, users.c.username).where(
            users.c.tenant_id == tenant_id, users.c.id.in_(list(user_ids))
        )
    )
    return {row.id: row.username for row in found}
