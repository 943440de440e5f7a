"""Integrations call the REST API with an X-API-Key scoped to their agency."""

from __future__ import annotations

import uuid

import httpx
import pytest

from app.jobs.accounts import create_api_key, revoke_api_key
from tests.e2e.conftest import Agency, System
from tests.e2e.helpers import candidate_body

pytestmark = pytest.mark.stack


async def test_api_key_reads_and_writes_within_its_agency(
    system: System, agency: Agency, other_agency: Agency
) -> None:
    _, key_id, key = await create_api_key(
        system.settings,
        tenant=agency.slug,
        name="job-board",
        role="recruiter",
        scopes=["candidates:read", "candidates:write"],
    )
    async with httpx.AsyncClient(base_url=system.base_url, headers={"X-API-Key": key}) as api:
        created = await api.post("/api/v1/candidates", json=candidate_body(source="integration"))
        assert created.status_code == 201, created.text
        candidate_id = created.json()["id"]
        assert created.json()["tenant_id"] == str(agency.tenant_id)
        me = (await api.get("/api/v1/me")).json()
        assert me["tenant_id"] == str(agency.tenant_id)
        assert me["username"] == "job-board"
    # The agency's users see it; another agency does not.
    assert (await agency.client.get(f"/api/v1/candidates/{candidate_id}")).status_code == 200
    assert (await other_agency.client.get(f"/api/v1/candidates/{candidate_id}")).status_code == 404

    assert await revoke_api_key(system.settings, key_id)
    async with httpx.AsyncClient(base_url=system.base_url) as anon:
        revoked = await anon.get("/api/v1/candidates", headers={"X-API-Key": key})
        assert revoked.status_code == 401
        forged = await anon.get(
            "/api/v1/candidates", headers={"X-API-Key": f"rtk_{uuid.uuid4().hex[:16]}_nope"}
        )
        assert forged.status_code == 401
        assert forged.headers["content-type"].startswith("application/problem+json")
