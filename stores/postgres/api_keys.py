"""Integrations' API keys: scoped, expiring, rotatable, and when each was last used."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres.tables import api_keys, tenants

LAST_USED_PRECISION_SECONDS = 60
"""`last_used_at` moves at most this often: a key used every request is not a write each."""


async def insert_api_key(conn: AsyncConnection, **row: Any) -> None:
    await conn.execute(insert(api_keys).values(**row))


async def get_active_key(conn: AsyncConnection, prefix: str) -> dict[str, Any] | None:
    """The key of this prefix if it is neither revoked nor expired, with whether its agency
    is suspended (`tenant_suspended`)."""
    k = api_keys.c
    row = (
        (
            await conn.execute(
                select(api_keys, tenants.c.suspended_at.is_not(None).label("tenant_suspended"))
                .join(tenants, tenants.c.id == k.tenant_id)
                .where(
                    k.prefix == prefix,
                    k.revoked_at.is_(None),
                    or_(k.expires_at.is_(None), k.expires_at > func.now()),
                )
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


async def touch(conn: AsyncConnection, key_id: UUID) -> None:
    """Note that the key was used now (unless that was noted within the last minute)."""
    k = api_keys.c
    await conn.execute(
        update(api_keys)
        .where(
            k.id == key_id,
            or_(
                k.last_used_at.is_(None),
                k.last_used_at
                < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, LAST_USED_PRECISION_SECONDS),
            ),
        )
        .values(last_used_at=func.now())
    )


async def rotate(conn: AsyncConnection, key_id: UUID, *, prefix: str, secret_hash: str) -> bool:
    """A new secret for a live key; the old one stops working at once. False: no such key."""
    k = api_keys.c
    result = await conn.execute(
        update(api_keys)
        .where(k.id == key_id, k.revoked_at.is_(None))
        .values(prefix=prefix, secret_hash=secret_hash)
    )
    return bool(result.rowcount)


async def list_keys(conn: AsyncConnection, tenant_id: UUID) -> Sequence[dict[str, Any]]:
    """The agency's keys, newest first, without their secrets' hashes."""
    k = api_keys.c
    found = await conn.execute(
        select(
            k.id, k.name, k.role, k.scopes, k.created_at, k.expires_at, k.last_used_at, k.revoked_at
        )
        .where(k.tenant_id == tenant_id)
        .order_by(k.created_at.desc())
    )
    return [dict(r) for r in found.mappings()]


async def revoke_api_key(conn: AsyncConnection, key_id: UUID) -> bool:
    result = await conn.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    return bool(result.rowcount)
