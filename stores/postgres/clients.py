"""Client companies and their contacts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres import tables
from stores.postgres.rows import Row, Rows

CLIENTS = Rows(tables.clients, "client")
CONTACTS = Rows(tables.contacts, "contact")

_IN_CLEAR = text(
    """
    SELECT id, tenant_id, email, phone FROM contacts
    WHERE (email IS NOT NULL AND email NOT LIKE 'rt1:%')
       OR (phone IS NOT NULL AND phone NOT LIKE 'rt1:%')
    ORDER BY id
    LIMIT :limit
    FOR UPDATE
    """
)


async def contacts_in_clear(conn: AsyncConnection, limit: int) -> list[Row]:
    """A batch of contacts whose e-mail or phone is not sealed yet, locked for this
    transaction."""
    return [dict(r) for r in (await conn.execute(_IN_CLEAR, {"limit": limit})).mappings()]


async def set_contact_values(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Write e-mail and phone as given (sealed), without a new version."""
    c = tables.contacts.c
    for row in rows:
        await conn.execute(
            update(tables.contacts)
            .where(c.tenant_id == row["tenant_id"], c.id == row["id"])
            .values(email=row["email"], phone=row["phone"])
        )
