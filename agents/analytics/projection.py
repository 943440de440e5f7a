"""Pushes the views of changed slices to Redis, where the gateway serves and streams them."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from agents.analytics.state import AnalyticsState
from core.clock import utcnow
from domain.analytics.model import ALL
from domain.analytics.views import leaderboard_view, slice_view, sources_view
from stores.analytics_views import slice_field, write_views
from stores.bundle import Stores

log = logging.getLogger(__name__)


def changed_views(state: AnalyticsState, tenant_id: str) -> dict[str, Any]:
    """The views of one agency's slices that changed since the last call."""
    views: dict[str, Any] = {}
    agg = state.tenants.get(tenant_id)
    if agg is None:
        return views
    for (kind, value), totals in agg.take_changed():
        views[slice_field(kind, value)] = slice_view(totals)
        if (kind, value) == ALL:
            views["leaderboard"] = leaderboard_view(totals)
            views["sources"] = sources_view(totals)
    return views


class Projector:
    """Every `interval` seconds, writes what changed; at once after a rebuild."""

    def __init__(self, stores: Stores, state: AnalyticsState, interval: float) -> None:
        self._stores = stores
        self._state = state
        self._interval = interval
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(self._interval)  # gather a little more before writing
            self._wake.clear()
            try:
                await self.flush()
            except Exception as exc:
                # Redis away: the changed slices are kept and written next time.
                log.warning("pushing analytics views failed (%s); retrying", exc)
                self._wake.set()
                await asyncio.sleep(1.0)

    async def flush(self) -> None:
        await self._stores.start()
        at = utcnow().isoformat()
        for tenant_id, agg in list(self._state.tenants.items()):
            if not agg.changed:
                continue
            pending = set(agg.changed)
            try:
                await write_views(
                    self._stores.redis,
                    tenant_id,
                    changed_views(self._state, tenant_id),
                    at=at,
                )
            except Exception:
                agg.changed |= pending
                raise
