"""Creating an agency's users: shared by the CLI, the demo setup, tests and benchmarks."""

from __future__ import annotations

from uuid import UUID

from core.passwords import hash_password
from core.settings import Settings
from stores.postgres.database import Database
from stores.postgres.users import ensure_tenant, upsert_user


async def create_user(
    settings: Settings, *, tenant: str, username: str, password: str, role: str
) -> tuple[UUID, UUID]:
    """Create (or reset) a user of the agency `tenant`, creating the agency if new.

    Returns (tenant_id, user_id).
    """
    db = Database(settings)
    await db.start()
    try:
        async with db.transaction() as conn:
            tenant_id = await ensure_tenant(conn, tenant)
            user_id = await upsert_user(
                conn,
                tenant_id=tenant_id,
                username=username,
                password_hash=hash_password(password),
                role=role,
            )
    finally:
        await db.stop()
    return tenant_id, user_id
