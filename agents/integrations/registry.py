"""Which integrations exist, as the worker sees them: re-read every few seconds, so a
revoked integration or a suspended agency is refused within seconds."""

from __future__ import annotations

import time
from dataclasses import dataclass
from uuid import UUID

from core.bounded_cache import BoundedCache
from stores.bundle import Stores
from stores.postgres import integrations as repo

RECHECK_SECONDS = 5.0
CACHE_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class Integration:
    id: UUID
    tenant_id: UUID
    role: str
    scopes: frozenset[str]


class IntegrationRegistry:
    def __init__(
        self,
        stores: Stores,
        recheck_seconds: float = RECHECK_SECONDS,
        cache_size: int = CACHE_SIZE,
    ) -> None:
        self._stores = stores
        self._recheck = recheck_seconds
        # Bounded: the ids come from commands, and an unknown one is remembered too.
        self._known: BoundedCache[UUID, tuple[Integration | None]] = BoundedCache(
            cache_size, recheck_seconds
        )
        self._tenants: tuple[float, frozenset[UUID]] = (-RECHECK_SECONDS * 2, frozenset())

    async def active(self, integration_id: UUID) -> Integration | None:
        """The integration if it may act now (not revoked, its agency not suspended)."""
        cached = self._known.get(integration_id)
        if cached is not None:
            return cached[0]
        async with self._stores.db.lookup() as conn:
            row = await repo.get_integration(conn, integration_id)
        found = None
        if row is not None and row["revoked_at"] is None and not row["tenant_suspended"]:
            found = Integration(row["id"], row["tenant_id"], row["role"], frozenset(row["scopes"]))
        self._known.put(integration_id, (found,))
        return found

    async def integrated_tenants(self) -> frozenset[UUID]:
        """The agencies with a live integration, whose events their integrations read."""
        now = time.monotonic()
        if now - self._tenants[0] >= self._recheck:
            async with self._stores.db.lookup() as conn:
                self._tenants = (now, await repo.integrated_tenants(conn))
        return self._tenants[1]
