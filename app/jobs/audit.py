"""Checking an agency's audit chain (`refactortrack audit verify`)."""

from __future__ import annotations

from core.settings import Settings
from domain.audit import ChainHead, ChainVerdict
from stores.postgres import audit
from stores.postgres.database import Database
from stores.postgres.users import find_tenant


async def verify_audit(
    settings: Settings, tenant: str, anchor: ChainHead | None = None
) -> ChainVerdict:
    """Walk the agency's chain from its first entry; LookupError if there is no such agency.

    `anchor`: a head printed by an earlier run, which the chain must still pass through.

    Read in one snapshot, so entries appended meanwhile are neither half-seen nor
    taken for a break.
    """
    db = Database(settings)
    await db.start()
    try:
        async with db.snapshot() as conn:
            tenant_id = await find_tenant(conn, tenant)
            if tenant_id is None:
                raise LookupError(f"no agency '{tenant}'")
            return await audit.verify_chain(conn, tenant_id, anchor=anchor)
    finally:
        await db.stop()
