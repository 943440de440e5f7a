"""The integrations registry: who writes to which Kafka topic, as which agency and role."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from stores.postgres.tables import integrations, tenants

_i = integrations.c


async def insert_integration(conn: AsyncConnection, **row: Any) -> None:
    await conn.execute(insert(integrations).values(**row))


async def get_integration(conn: AsyncConnection, integration_id: UUID) -> dict[str, Any] | None:
    """The integration with whether its agency is suspended (`tenant_suspended`)."""
    found = await conn.execute(
        select(integrations, tenants.c.suspended_at.is_not(None).label("tenant_suspended"))
        .join(tenants, tenants.c.id == _i.tenant_id)
        .where(_i.id == integration_id)
    )
    row = found.mappings().first()
    return dict(row) if row else None


async def list_integrations(conn: AsyncConnection, tenant_id: UUID) -> Sequence[dict[str, Any]]:
    found = await conn.execute(
        select(integrations).where(_i.tenant_id == tenant_id).order_by(_i.created_at.desc())
    )
    return [dict(r) for r in found.mappings()]


async def revoke_integration(conn: AsyncConnection, integration_id: UUID) -> dict[str, Any] | None:
    """Mark a live integration revoked; returns it (None: no live integration of that id)."""
    found = await conn.execute(
        update(integrations)
        .where(_i.id == integration_id, _i.revoked_at.is_(None))
        .values(revoked_at=func.now())
        .returning(integrations)
    )
    row = found.mappings().first()
    return dict(row) if row else None


async def integrated_tenants(conn: AsyncConnection) -> frozenset[UUID]:
    """The agencies with at least one live integration (their events go to their topic)."""
    found = await conn.execute(select(_i.tenant_id).where(_i.revoked_at.is_(None)).distinct())
    return frozenset(row[0] for row in found)
