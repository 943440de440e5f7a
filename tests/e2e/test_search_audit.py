"""Searches through the running gateway, many at once in two agencies, while the worker
records changes in the same chains: every answer has its entry (`list`, view `search`,
the ids it answered) and each agency's chain verifies."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app.jobs.audit import verify_audit
from tests.e2e.conftest import Agency, System
from tests.e2e.helpers import candidate_body, eventually

pytestmark = pytest.mark.stack

SEARCHES = 12  # per agency, all at once


async def _searches_recorded(agency: Agency) -> list[dict[str, Any]]:
    response = await agency.client.get("/api/v1/audit", params={"limit": 200})
    assert response.status_code == 200, response.text
    return [e for e in response.json()["items"] if e["detail"].get("view") == "search"]


async def _search(agency: Agency) -> list[str]:
    r = await agency.client.get("/api/v1/search/candidates", params={"q": "python"})
    assert r.status_code == 200, r.text
    return [h["id"] for h in r.json()["items"]]


async def _create(agency: Agency) -> None:
    r = await agency.client.post("/api/v1/candidates", json=candidate_body())
    assert r.status_code in (201, 202), r.text


async def test_concurrent_searches_of_two_agencies(
    system: System, admin: Agency, other_admin: Agency
) -> None:
    agencies = (admin, other_admin)
    found: dict[str, str] = {}
    for agency in agencies:
        created = await agency.client.post("/api/v1/candidates", json=candidate_body())
        assert created.status_code == 201, created.text
        found[agency.slug] = cid = created.json()["id"]

        async def indexed(agency: Agency = agency, cid: str = cid) -> bool:
            return cid in await _search(agency)

        await eventually(indexed, what="the candidate found")
    before = {a.slug: len(await _searches_recorded(a)) for a in agencies}

    searches = {
        a.slug: [asyncio.ensure_future(_search(a)) for _ in range(SEARCHES)] for a in agencies
    }
    # Changes the worker records in the same chains meanwhile.
    changes = [_create(a) for a in agencies for _ in range(3)]
    await asyncio.gather(*(t for ts in searches.values() for t in ts), *changes)

    for agency in agencies:
        assert all(found[agency.slug] in t.result() for t in searches[agency.slug])
        recorded = await _searches_recorded(agency)
        # Every search answered has its entry, with the ids it answered.
        assert len(recorded) == before[agency.slug] + SEARCHES
        assert all(found[agency.slug] in e["subject_ids"] for e in recorded[:SEARCHES])
        verdict = await verify_audit(system.settings, agency.slug)
        assert verdict.intact, verdict.broken
