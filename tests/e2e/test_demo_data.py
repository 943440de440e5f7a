"""`refactortrack demo-data` fills an agency through the topics and the running worker."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.jobs.accounts import create_user
from app.jobs.demo import load_demo
from tests.e2e.conftest import PASSWORD, System, login

pytestmark = pytest.mark.stack


async def test_demo_agency_is_filled(system: System) -> None:
    slug = f"demo-{uuid.uuid4().hex[:8]}"
    summary = await load_demo(system.settings, slug, 40, seed=3)
    assert summary["candidates"] == 40
    assert summary["clients"] > 0
    assert summary["submissions"] > 0
    username = f"{slug}-admin"
    await create_user(
        system.settings, tenant=slug, username=username, password=PASSWORD, role="admin"
    )
    token = await login(system.base_url, username)
    async with httpx.AsyncClient(
        base_url=system.base_url, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        listed = (await client.get("/api/v1/candidates", params={"limit": 200})).json()
        assert len(listed["items"]) == 40
        pipeline = (await client.get("/api/v1/submissions", params={"limit": 200})).json()
        assert len(pipeline["items"]) == summary["submissions"]
        assert {s["stage"] for s in pipeline["items"]} - {"sourced"}


async def test_demo_history_spans_weeks(system: System) -> None:
    """Each step of the demo is dated in the past weeks, and the analytics place it then:
    durations are hours and days, not 0.0 h, and the activity falls in many hours."""
    slug = f"demo-{uuid.uuid4().hex[:8]}"
    summary = await load_demo(system.settings, slug, 40, seed=5)
    username = f"{slug}-viewer"
    await create_user(
        system.settings, tenant=slug, username=username, password=PASSWORD, role="viewer"
    )
    token = await login(system.base_url, username)
    async with httpx.AsyncClient(
        base_url=system.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        pipeline = (await client.get("/api/v1/submissions", params={"limit": 200})).json()
        moments = [datetime.fromisoformat(h["at"]) for s in pipeline["items"] for h in s["history"]]
        assert max(moments) - min(moments) > timedelta(weeks=3)
        assert max(moments) <= datetime.now(UTC)

        async def settled() -> dict[str, Any]:
            # The analytics follow the events within seconds.
            kpis: dict[str, Any] = {}
            for _ in range(60):
                kpis = (await client.get("/api/v1/analytics/kpis")).json()
                sourced = kpis["time_in_stage"].get("sourced", {}).get("count", 0)
                if kpis["time_to_submit"]["count"] and sourced >= 5:
                    return kpis
                await asyncio.sleep(0.5)
            raise AssertionError(f"the analytics never caught up: {kpis}")

        kpis = await settled()
        assert kpis["time_to_submit"]["p50_hours"] > 1
        assert kpis["time_in_stage"]["sourced"]["p50_hours"] > 1
        sourced = kpis["time_in_stage"]["sourced"]
        assert sourced["p90_hours"] >= sourced["p50_hours"]
        activity = (await client.get("/api/v1/analytics/activity")).json()
        busy_hours = [h for h, counts in activity["hourly"].items() if sum(counts.values())]
        assert len(busy_hours) >= 20
        assert len(activity["daily"]) >= 14
        # The demo's recruiters are the agency's users, on the leaderboard by name.
        recruiters = (await client.get("/api/v1/analytics/recruiters")).json()["items"]
        names = {r["name"] for r in recruiters}
        assert {f"ada@{slug}", f"grace@{slug}"} <= names
    assert summary["submissions"] == len(pipeline["items"])
