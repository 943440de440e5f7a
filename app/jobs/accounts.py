"""An agency's people, its API keys and the agency itself: made, changed and revoked by
operators (the CLI), and by tests and benchmarks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from core.apikeys import issue_key
from core.clock import utcnow
from core.passwords import hash_password
from core.settings import Settings
from domain.permissions import DEFAULT_INTEGRATION_SCOPES, parse_scopes
from stores.postgres import api_keys as keys
from stores.postgres import users
from stores.postgres.database import Connection, Database

T = TypeVar("T")


async def _in_transaction(settings: Settings, work: Callable[[Connection], Awaitable[T]]) -> T:
    db = Database(settings)
    await db.start()
    try:
        async with db.transaction() as conn:
            return await work(conn)
    finally:
        await db.stop()


async def create_user(
    settings: Settings, *, tenant: str, username: str, password: str, role: str
) -> tuple[UUID, UUID]:
    """Create (or reset) a user of the agency `tenant`, creating the agency if new.

    A reset (new password) voids the user's earlier tokens. Returns (tenant_id, user_id).
    """
    password_hash = hash_password(password)

    async def work(conn: Connection) -> tuple[UUID, UUID]:
        tenant_id = await users.ensure_tenant(conn, tenant)
        user_id = await users.upsert_user(
            conn, tenant_id=tenant_id, username=username, password_hash=password_hash, role=role
        )
        return tenant_id, user_id

    return await _in_transaction(settings, work)


async def ensure_user(
    settings: Settings, *, tenant: str, username: str, password: str, role: str
) -> tuple[UUID, UUID] | None:
    """Create the user unless one of that name exists (a bootstrap that runs at every
    start must not reset the password nor void tokens). None: it existed, left as it was."""
    password_hash = hash_password(password)

    async def work(conn: Connection) -> tuple[UUID, UUID] | None:
        if await users.get_user_by_username(conn, username):
            return None
        tenant_id = await users.ensure_tenant(conn, tenant)
        user_id = await users.upsert_user(
            conn, tenant_id=tenant_id, username=username, password_hash=password_hash, role=role
        )
        return tenant_id, user_id

    return await _in_transaction(settings, work)


async def set_user_active(settings: Settings, username: str, *, active: bool) -> bool:
    """Enable or disable a user (disabling voids their tokens within seconds)."""
    return await _in_transaction(
        settings, lambda conn: users.set_user_active(conn, username, active=active)
    )


async def erase_user(settings: Settings, username: str) -> UUID | None:
    """Forget a user's login name and password; their id stays behind what they did."""
    return await _in_transaction(settings, lambda conn: users.erase_user(conn, username))


async def set_password(settings: Settings, username: str, password: str) -> bool:
    """A new password; every token issued before stops working."""
    password_hash = hash_password(password)
    return await _in_transaction(
        settings, lambda conn: users.set_password(conn, username, password_hash)
    )


async def set_tenant_suspended(settings: Settings, tenant: str, *, suspended: bool) -> bool:
    """Suspend (or resume) an agency: its people and keys are refused while suspended."""
    return await _in_transaction(
        settings, lambda conn: users.set_tenant_suspended(conn, tenant, suspended=suspended)
    )


def key_expiry(days: int | None, now: datetime | None = None) -> datetime | None:
    """When a key made now for `days` expires (None: it does not)."""
    return None if days is None else (now or utcnow()) + timedelta(days=days)


async def create_api_key(
    settings: Settings,
    *,
    tenant: str,
    name: str,
    role: str,
    scopes: Iterable[str] | None = None,
    expires_in_days: int | None = 365,
) -> tuple[UUID, UUID, str]:
    """Issue an API key for the agency `tenant`. Returns (tenant_id, key_id, the key).

    The key may do what its role allows within its scopes: read-only unless it is given
    more (least privilege). The key is returned this once; only its hash is stored.
    """
    granted = sorted(parse_scopes(scopes) if scopes is not None else DEFAULT_INTEGRATION_SCOPES)
    issued = issue_key()

    async def work(conn: Connection) -> tuple[UUID, UUID, str]:
        tenant_id = await users.ensure_tenant(conn, tenant)
        await keys.insert_api_key(
            conn,
            id=issued.id,
            tenant_id=tenant_id,
            name=name,
            role=role,
            prefix=issued.prefix,
            secret_hash=issued.secret_hash,
            scopes=granted,
            expires_at=key_expiry(expires_in_days),
        )
        return tenant_id, issued.id, issued.plaintext

    return await _in_transaction(settings, work)


async def rotate_api_key(settings: Settings, key_id: UUID) -> str | None:
    """A new secret for the key (same id, role, scopes); the old secret stops working now.

    Returns the new key, shown this once, or None when there is no live key of that id.
    """
    issued = issue_key()

    async def work(conn: Connection) -> bool:
        return await keys.rotate(conn, key_id, prefix=issued.prefix, secret_hash=issued.secret_hash)

    if not await _in_transaction(settings, work):
        return None
    # The key text embeds the prefix, which rotation replaced; the id stays.
    return issued.plaintext


async def list_api_keys(settings: Settings, tenant: str) -> Sequence[dict[str, Any]] | None:
    """The agency's keys (no secrets), or None when there is no such agency."""

    async def work(conn: Connection) -> Sequence[dict[str, Any]] | None:
        tenant_id = await users.find_tenant(conn, tenant)
        return None if tenant_id is None else await keys.list_keys(conn, tenant_id)

    return await _in_transaction(settings, work)


async def revoke_api_key(settings: Settings, key_id: UUID) -> bool:
    return await _in_transaction(settings, lambda conn: keys.revoke_api_key(conn, key_id))
