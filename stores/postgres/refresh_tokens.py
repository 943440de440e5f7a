"""Refresh tokens that rotate on use (OAuth 2.0 Security BCP, RFC 6819 5.2.2.3).

Every login starts a family; each refresh spends its token and issues the next one of
the family. A token spent a second time means two parties hold it, one of them a thief:
the whole family is revoked and both must log in again.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres.tables import refresh_tokens


class Spent(Enum):
    OK = "ok"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REUSED = "reused"
    """Spent before, or revoked: the family is revoked now."""


async def record(
    conn: AsyncConnection,
    *,
    token_id: UUID,
    family_id: UUID,
    user_id: UUID,
    issued_at: datetime,
    expires_at: datetime,
) -> None:
    await conn.execute(
        refresh_tokens.insert().values(
            id=token_id,
            family_id=family_id,
            user_id=user_id,
            issued_at=issued_at,
            expires_at=expires_at,
        )
    )


async def spend(conn: AsyncConnection, token_id: UUID, now: datetime) -> Spent:
    """Use a refresh token once; a second use revokes its whole family."""
    t = refresh_tokens.c
    found = (
        (await conn.execute(select(refresh_tokens).where(t.id == token_id).with_for_update()))
        .mappings()
        .first()
    )
    if found is None:
        return Spent.UNKNOWN
    if found["used_at"] is not None or found["revoked_at"] is not None:
        await conn.execute(
            update(refresh_tokens)
            .where(t.family_id == found["family_id"], t.revoked_at.is_(None))
            .values(revoked_at=func.now())
        )
        return Spent.REUSED
    if found["expires_at"] <= now:
        return Spent.EXPIRED
    await conn.execute(update(refresh_tokens).where(t.id == token_id).values(used_at=func.now()))
    return Spent.OK


async def revoke_all(conn: AsyncConnection, user_id: UUID) -> None:
    """Every refresh token of the user stops working (a disable, a new password)."""
    t = refresh_tokens.c
    await conn.execute(
        update(refresh_tokens)
        .where(t.user_id == user_id, t.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
