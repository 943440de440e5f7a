"""GDPR erasure: the person is gone from every store; anonymous facts remain."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import Text, func, select

from stores.bundle import Stores
from stores.postgres.tables import erasures, processed_commands, submissions
from tests.e2e.conftest import Agency, System
from tests.e2e.helpers import candidate_body, eventually

pytestmark = pytest.mark.stack


async def test_erasure_removes_the_person_everywhere(system: System, agency: Agency) -> None:
    marker = f"Er{uuid.uuid4().hex[:8]}"
    candidate = (
        await agency.client.post(
            "/api/v1/candidates",
            json=candidate_body(skills=[{"name": marker}], phones=["+14155550123"]),
        )
    ).json()
    cid = candidate["id"]
    client = (await agency.client.post("/api/v1/clients", json={"name": "Soylent"})).json()
    requisition = (
        await agency.client.post(
            "/api/v1/requisitions", json={"client_id": client["id"], "title": "Chemist"}
        )
    ).json()
    submission = (
        await agency.client.post(
            "/api/v1/submissions", json={"candidate_id": cid, "requisition_id": requisition["id"]}
        )
    ).json()
    await agency.client.post(
        f"/api/v1/submissions/{submission['id']}/transitions", json={"to": "interviewing"}
    )
    await agency.client.post(
        "/api/v1/notes",
        json={"subject_type": "candidate", "subject_id": cid, "body": "Lives at 1 Main St"},
    )

    async def searchable() -> list[Any]:
        r = await agency.client.get("/api/v1/search/candidates", params={"q": marker})
        return list(r.json()["items"])

    await eventually(searchable, what="the candidate in search")

    erased = await agency.client.delete(f"/api/v1/candidates/{cid}")
    assert erased.status_code == 204, erased.text
    assert (await agency.client.get(f"/api/v1/candidates/{cid}")).status_code == 404
    assert cid not in [
        c["id"] for c in (await agency.client.get("/api/v1/candidates")).json()["items"]
    ]

    async def gone_from_search() -> bool:
        return not await searchable()

    await eventually(gone_from_search, what="the candidate gone from search")

    stores = Stores(system.settings)
    await stores.start()
    try:
        assert await stores.mongo.get_profiles(agency.tenant_id, [uuid.UUID(cid)]) == {}
        async with stores.db.read() as conn:
            kept = (
                await conn.execute(
                    select(submissions.c.stage).where(
                        submissions.c.id == uuid.UUID(submission["id"])
                    )
                )
            ).scalar_one()
            trace = (
                await conn.execute(
                    select(erasures.c.erased_by).where(erasures.c.candidate_id == uuid.UUID(cid))
                )
            ).scalar_one()
            ledger_mentions = (
                await conn.execute(
                    select(func.count())
                    .select_from(processed_commands)
                    .where(
                        processed_commands.c.tenant_id == agency.tenant_id,
                        processed_commands.c.events.cast(Text).contains(candidate["emails"][0]),
                    )
                )
            ).scalar_one()
    finally:
        await stores.stop()
    assert kept == "interviewing"  # the anonymous fact analytics needs
    assert trace.startswith("user:")
    assert ledger_mentions == 0

    # The same email and phone are free again.
    again = await agency.client.post(
        "/api/v1/candidates",
        json=candidate_body(emails=candidate["emails"], phones=candidate["phones"]),
    )
    assert again.status_code == 201

    timeline = await agency.client.get(f"/api/v1/candidates/{cid}/timeline")
    assert timeline.status_code == 404
    assert (await agency.client.delete(f"/api/v1/candidates/{cid}")).status_code == 404


async def test_viewers_and_other_agencies_cannot_erase(
    agency: Agency, other_agency: Agency, viewer: Agency
) -> None:
    candidate = (await agency.client.post("/api/v1/candidates", json=candidate_body())).json()
    url = f"/api/v1/candidates/{candidate['id']}"
    assert (await other_agency.client.delete(url)).status_code == 404
    assert (await viewer.client.delete(url)).status_code == 403
    assert (await agency.client.get(url)).status_code == 200
