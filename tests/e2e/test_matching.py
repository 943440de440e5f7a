"""Matching through HTTP against the real stack: ranks, reasons, the pipeline marked."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Agency
from tests.e2e.helpers import candidate_body, eventually

pytestmark = pytest.mark.stack


async def _post(agency: Agency, path: str, body: dict[str, Any]) -> Any:
    r = await agency.client.post(path, json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def test_candidates_ranked_for_a_requisition_with_reasons(
    agency: Agency, other_agency: Agency
) -> None:
    client = await _post(agency, "/api/v1/clients", {"name": "Hooli", "status": "active"})
    requisition = await _post(
        agency,
        "/api/v1/requisitions",
        {
            "client_id": client["id"],
            "title": "Senior Python Engineer",
            "required_skills": ["Python", "Kubernetes"],
            "nice_to_have_skills": ["Kafka"],
            "location": {"city": "Berlin", "country": "DE", "remote": "onsite"},
            "bill_rate": {"min": "80", "max": "100", "currency": "EUR"},
        },
    )
    berlin = {"city": "Berlin", "country": "DE", "remote": False}
    best = await _post(
        agency,
        "/api/v1/candidates",
        candidate_body(
            headline="Senior Python Engineer",
            skills=[{"name": "Python", "years": 8}, {"name": "k8s", "years": 4}, {"name": "Kafka"}],
            location=berlin,
            desired_rate={"amount": "90", "currency": "EUR", "unit": "hour"},
        ),
    )
    pricey = await _post(
        agency,
        "/api/v1/candidates",
        candidate_body(
            headline="Python Developer",
            skills=[{"name": "Python", "years": 3}],
            location=berlin,
            desired_rate={"amount": "120", "currency": "EUR", "unit": "hour"},
        ),
    )
    # None of the skills anywhere (a skill in the headline would count): not ranked.
    await _post(
        agency,
        "/api/v1/candidates",
        candidate_body(headline="Mainframe Developer", skills=[{"name": "COBOL"}]),
    )
    submission = await _post(
        agency,
        "/api/v1/submissions",
        {"candidate_id": best["id"], "requisition_id": requisition["id"]},
    )
    url = f"/api/v1/requisitions/{requisition['id']}/matches"

    async def both_ranked() -> list[Any] | None:
        items = (await agency.client.get(url)).json()["items"]
        return items if len(items) == 2 else None

    first, second = await eventually(both_ranked, what="the candidates indexed and matched")
    assert (first["id"], second["id"]) == (best["id"], pricey["id"])
    assert first["score"] > second["score"]
    assert first["reasons"]["matched_skills"] == ["Python", "Kubernetes"]
    assert (first["in_pipeline"], first["submission_id"]) == (True, submission["id"])
    assert second["in_pipeline"] is False
    assert second["reasons"]["missing_required_skills"] == ["Kubernetes"]
    assert second["reasons"]["rate_gap"] == "20.00"

    reverse = (await agency.client.get(f"/api/v1/candidates/{best['id']}/matches")).json()
    [match] = [m for m in reverse["items"] if m["id"] == requisition["id"]]
    assert match["in_pipeline"] is True
    assert match["reasons"]["matched_nice_to_have_skills"] == ["Kafka"]

    assert (await other_agency.client.get(url)).status_code == 404
    theirs = await other_agency.client.get(f"/api/v1/candidates/{best['id']}/matches")
    assert theirs.status_code == 404
