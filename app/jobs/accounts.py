"""Creating an agency's users and API keys: shared by the CLI, tests and benchmarks."""

from __future__ import annotations

from uuid import UUID

from core.apikeys import issue_key
from core.passwords import hash_password
from core.settings import Settings
from stores.postgres.api_keys import insert_api_key
from stores.postgres.api_keys import revoke_api_key as revoke_key_row
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


async def create_api_key(
    settings: Settings, *, tenant: str, name: str, role: str
) -> tuple[UUID, UUID, str]:
    """Issue an API key for the agency `tenant`. Returns (tenant_id, key_id, the key).

    The key is returned this once; only its hash is stored.
    """
    issued = issue_key()
    db = Database(settings)
    await db.start()
    try:
        async with db.transaction() as conn:
            tenant_id = await ensure_tenant(conn, tenant)
            await insert_api_key(
                conn,
                id=issued.id,
                tenant_id=tenant_id,
                name=name,
                role=role,
                prefix=issued.prefix,
                secret_hash=issued.secret_hash,
            )
    finally:
        await db.stop()
    return tenant_id, issued.id, issued.plaintext


async def revoke_api_key(settings: Settings, key_id: UUID) -> bool:
    db = Database(settings)
    await db.start()
    try:
        async with db.transaction() as conn:
            return await revoke_key_row(conn, key_id)
    finally:
        await db.stop()
