"""Tenants (agencies) and their users, and whether each may still act."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres.tables import refresh_tokens, tenants, users


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
            # A new password voids every token issued under the old one.
            set_={
                "password_hash": password_hash,
                "role": role,
                "tenant_id": tenant_id,
                "tokens_valid_after": func.now(),
            },
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


async def agency_users(conn: AsyncConnection, tenant_id: UUID) -> list[dict[str, Any]]:
    """The agency's active users who may make submissions (not viewers): id, username, role,
    by username."""
    found = await conn.execute(
        select(users.c.id, users.c.username, users.c.role)
        .where(
            users.c.tenant_id == tenant_id,
            users.c.is_active.is_(True),
            users.c.role != "viewer",
        )
        .order_by(users.c.username)
    )
    return [dict(row) for row in found.mappings()]


async def standing(conn: AsyncConnection, user_id: UUID) -> dict[str, Any] | None:
    """What decides whether a user's token still works: the user's role, whether they and
    their agency are active, and since when their tokens are valid."""
    found = await conn.execute(
        select(
            users.c.id,
            users.c.tenant_id,
            users.c.username,
            users.c.role,
            users.c.is_active,
            users.c.tokens_valid_after,
            tenants.c.suspended_at,
        )
        .join(tenants, tenants.c.id == users.c.tenant_id)
        .where(users.c.id == user_id)
    )
    row = found.mappings().first()
    return dict(row) if row else None


async def set_user_active(conn: AsyncConnection, username: str, *, active: bool) -> bool:
    """Enable or disable a user; disabling voids their tokens. False: no such user."""
    values: dict[str, Any] = {"is_active": active}
    if not active:
        values["tokens_valid_after"] = func.now()
    result = await conn.execute(update(users).where(users.c.username == username).values(values))
    return bool(result.rowcount)


async def erase_user(conn: AsyncConnection, username: str) -> UUID | None:
    """A user who asked to be forgotten: the login name (often an e-mail address) becomes
    `erased-<id>`, the password can match nothing, tokens are void and refresh tokens gone.
    The id stays, so what they did (the audit log, a note's author) names nobody."""
    found = await conn.execute(
        update(users)
        .where(users.c.username == username)
        .values(
            username=func.concat("erased-", users.c.id),
            password_hash="!",
            is_active=False,
            tokens_valid_after=func.now(),
        )
        .returning(users.c.id)
    )
    user_id: UUID | None = found.scalar_one_or_none()
    if user_id is not None:
        await conn.execute(delete(refresh_tokens).where(refresh_tokens.c.user_id == user_id))
    return user_id


async def set_password(conn: AsyncConnection, username: str, password_hash: str) -> bool:
    """A new password, which voids every token issued before. False: no such user."""
    result = await conn.execute(
        update(users)
        .where(users.c.username == username)
        .values(password_hash=password_hash, tokens_valid_after=func.now())
    )
    return bool(result.rowcount)


async def set_tenant_suspended(conn: AsyncConnection, slug: str, *, suspended: bool) -> bool:
    """Suspend or resume an agency: its people and integrations are refused while
    suspended. False: no such agency."""
    result = await conn.execute(
        update(tenants)
        .where(tenants.c.slug == slug)
        .values(suspended_at=func.now() if suspended else None)
    )
    return bool(result.rowcount)


async def tenant_suspended(conn: AsyncConnection, tenant_id: UUID) -> bool:
    found = await conn.execute(select(tenants.c.suspended_at).where(tenants.c.id == tenant_id))
    return found.scalar_one_or_none() is not None


async def tenant_ids(conn: AsyncConnection) -> list[UUID]:
    """Every agency, oldest first: what a rebuild of every agency's index walks."""
    found = await conn.execute(select(tenants.c.id).order_by(tenants.c.created_at, tenants.c.id))
    return list(found.scalars())
