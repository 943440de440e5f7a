"""`refactortrack demo-data` fills an agency through the topics and the running worker."""

from __future__ import annotations

import uuid

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
