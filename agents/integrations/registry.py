"""Which integrations exist, as the worker sees them: re-read every few seconds, so a
revoked integration or a suspended agency is refused within seconds."""

from __future__ import annotations

import time
from dataclasses import dataclass
from uuid import UUID

from stores.bundle import Stores
from stores.postgres import integrations as repo

RECHECK_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Integration:
    id: UUID
    tenant_id: UUID
    role: str
    scopes: frozenset[str]


class IntegrationRegistry:
    def __init__(self, stores: Stores, recheck_seconds: float = RECHECK_SECONDS) -> None:
        self._stores = stores
        self._recheck = recheck_seconds
        self._known: dict[UUID, tuple[float, Integration | None]] = {}
        self._tenants: tuple[float, frozenset[UUID]] = (-RECHECK_SECONDS * 2, frozenset())

    async def active(self, integration_id: UUID) -> Integration | None:
        """The integration if it may act now (not revoked, its agency not suspended)."""
        now = time.monotonic()
        cached = self._known.get(integration_id)
        if cached is not None and now - cached[0] < self._recheck:
            return cached[1]
        async with self._stores.db.read() as conn:
            row = await repo.get_integration(conn, integration_id)
        found = None
        if row is not None and row["revoked_at"] is None and not row["tenant_suspended"]:
            found = Integration(row["id"], row["tenant_id"], row["role"], frozenset(row["scopes"]))
        self._known[integration_id] = (now, found)
        return found

    async def integrated_tenants(self) -> frozenset[UUID]:
        """The agencies with a live integration, whose events their integrations read."""
        now = time.monotonic()
        if now - self._tenants[0] >= self._recheck:
            async with self._stores.db.read() as conn:
                self._tenants = (now, await repo.integrated_tenants(conn))
        return self._tenants[1]
