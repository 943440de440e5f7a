"""Matching's pool against the real OpenSearch: skills written anywhere find a candidate,
and required skills and local people come first."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from agents.search_indexer.documents import candidate_document
from core.clock import utcnow
from domain.geo import locate
from stores.bundle import Stores

pytestmark = pytest.mark.stack


def _data(tenant: uuid.UUID, city: str, country: str, **fields: Any) -> dict[str, Any]:
    now = utcnow().isoformat()
    return {
        "id": str(uuid.uuid4()),
        "tenant_id": str(tenant),
        "first_name": "Ada",
        "last_name": "Pool",
        "location": {"city": city, "country": country},
        "created_at": now,
        "updated_at": now,
        "version": 1,
        **fields,
    }


async def test_the_pool_finds_skills_in_headline_jobs_and_resume_locals_first(
    stores: Stores,
) -> None:
    tenant = uuid.uuid4()
    listed = _data(tenant, "Warsaw", "PL", skills=[{"name": "Kubernetes", "years": 3}])
    headline = _data(tenant, "Munich", "DE", headline="Platform Engineer (K8s)")
    job = _data(
        tenant,
        "Warsaw",
        "PL",
        work_history=[{"employer": "Initech", "description": "Ran k8s clusters."}],
    )
    resume_only = _data(tenant, "Dachau", "DE", willing_to_relocate=True)
    nothing = _data(tenant, "Munich", "DE", headline="Mainframe Developer")
    docs = [candidate_document(d) for d in (listed, headline, job, resume_only, nothing)]
    await stores.search.bulk_index_candidates(docs)
    await stores.search.bulk_index_candidates([], {resume_only["id"]: "Kubernetes on bare metal"})
    await stores.search.client.indices.refresh(index=stores.search.candidates_alias)

    pool = await stores.search.candidates_with_skills(
        tenant,
        ["kubernetes"],
        size=10,
        required=["kubernetes"],
        near=locate("Munich", "DE"),
        within_km=50,
    )
    found = [d["id"] for d in pool]
    assert set(found) == {listed["id"], headline["id"], job["id"], resume_only["id"]}
    # Near with the skill in the headline; then near with it in a resume, or far with it
    # listed (a listed skill counts as much as living near); last far with it in a job.
    assert found[0] == headline["id"]
    assert set(found[1:3]) == {resume_only["id"], listed["id"]}
    assert found[3] == job["id"]
    by_id = {d["id"]: d for d in pool}
    assert by_id[resume_only["id"]]["resume_skill_keys"] == ["kubernetes"]
    assert by_id[resume_only["id"]]["willing_to_relocate"] is True
    assert by_id[headline["id"]]["headline_skill_keys"] == ["kubernetes"]
    assert by_id[job["id"]]["work_skill_keys"] == ["kubernetes"]
    assert "resume_text" not in by_id[resume_only["id"]]
