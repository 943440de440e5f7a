"""An agency's day: a client's requisition, candidates through the pipeline, a placement."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Agency
from tests.e2e.helpers import candidate_body, eventually

pytestmark = pytest.mark.stack


async def _post(agency: Agency, path: str, body: dict[str, Any], status: int = 201) -> Any:
    response = await agency.client.post(path, json=body)
    assert response.status_code == status, response.text
    return response.json()


async def _requisition(agency: Agency, openings: int = 1) -> dict[str, Any]:
    client = await _post(agency, "/api/v1/clients", {"name": "Initrode", "status": "active"})
    return await _post(
        agency,
        "/api/v1/requisitions",
        {
            "client_id": client["id"],
            "title": "Data Engineer",
            "openings": openings,
            "required_skills": ["Python"],
            "employment_type": "contract",
            "bill_rate": {"min": "90", "max": "120", "currency": "EUR"},
        },
    )


async def test_from_sourced_to_placed_fills_the_requisition(agency: Agency) -> None:
    requisition = await _requisition(agency)
    candidate = await _post(agency, "/api/v1/candidates", candidate_body())
    submission = await _post(
        agency,
        "/api/v1/submissions",
        {
            "candidate_id": candidate["id"],
            "requisition_id": requisition["id"],
            "source": "sourced",
        },
    )
    assert submission["stage"] == "sourced"
    url = f"/api/v1/submissions/{submission['id']}/transitions"

    for stage in ("screened", "submitted", "client_review", "interviewing", "offered"):
        moved = await _post(agency, url, {"to": stage}, status=200)
        assert moved["stage"] == stage

    backwards = await agency.client.post(url, json={"to": "screened"})
    assert backwards.status_code == 409
    assert backwards.json()["legal"] == ["placed", "rejected", "withdrawn"]
    incomplete = await agency.client.post(url, json={"to": "placed", "start_date": "2027-01-04"})
    assert incomplete.status_code == 422
    loss = await agency.client.post(
        url,
        json={
            "to": "placed",
            "start_date": "2027-01-04",
            "bill_rate": "90",
            "pay_rate": "95",
            "currency": "EUR",
        },
    )
    assert loss.status_code == 422

    placed = await _post(
        agency,
        url,
        {
            "to": "placed",
            "start_date": "2027-01-04",
            "end_date": "2027-06-30",
            "bill_rate": "110",
            "pay_rate": "77",
            "currency": "EUR",
        },
        status=200,
    )
    assert placed["stage"] == "placed"
    assert [(h["from"], h["to"]) for h in placed["history"]][-2:] == [
        ("interviewing", "offered"),
        ("offered", "placed"),
    ]

    found = (
        await agency.client.get("/api/v1/placements", params={"requisition_id": requisition["id"]})
    ).json()
    [placement] = found["items"]
    assert (placement["margin"], placement["markup"], placement["margin_percent"]) == (
        "33.00",
        "0.4286",
        "0.3000",
    )
    assert placement["client_id"] == requisition["client_id"]
    assert placement["status"] == "active"

    filled = (await agency.client.get(f"/api/v1/requisitions/{requisition['id']}")).json()
    assert filled["status"] == "filled"
    person = (await agency.client.get(f"/api/v1/candidates/{candidate['id']}")).json()
    assert (person["status"], person["version"]) == ("placed", 2)

    async def indexed_as_placed() -> bool:
        r = await agency.client.get(
            "/api/v1/search/candidates", params={"q": candidate["last_name"]}
        )
        items = r.json()["items"]
        return bool(items) and items[0]["status"] == "placed"

    await eventually(indexed_as_placed, what="the candidate re-indexed as placed")

    # Out of placed only by reopening, which ends the placement.
    assert (await agency.client.post(url, json={"to": "withdrawn"})).status_code == 409
    reopened = await _post(agency, url, {"to": "reopen"}, status=200)
    assert reopened["stage"] == "offered"
    ended = (await agency.client.get(f"/api/v1/placements/{placement['id']}")).json()
    assert ended["status"] == "terminated"


async def test_rejections_duplicates_and_permanent_fees(
    agency: Agency, other_agency: Agency
) -> None:
    requisition = await _requisition(agency, openings=2)
    first = await _post(agency, "/api/v1/candidates", candidate_body())
    second = await _post(agency, "/api/v1/candidates", candidate_body())
    pair = {"candidate_id": first["id"], "requisition_id": requisition["id"]}
    submission = await _post(agency, "/api/v1/submissions", pair)
    again = await agency.client.post("/api/v1/submissions", json=pair)
    assert again.status_code == 409
    assert again.json()["duplicate_of"] == submission["id"]

    url = f"/api/v1/submissions/{submission['id']}/transitions"
    no_reason = await agency.client.post(url, json={"to": "rejected"})
    assert no_reason.status_code == 422
    rejected = await _post(
        agency,
        url,
        {"to": "rejected", "reason": "rate too high", "rejected_by": "client"},
        status=200,
    )
    assert rejected["history"][-1]["reason"] == "rate too high"
    assert (await agency.client.post(url, json={"to": "offered"})).json()["legal"] == ["reopen"]

    other = await _post(
        agency,
        "/api/v1/submissions",
        {"candidate_id": second["id"], "requisition_id": requisition["id"]},
    )
    permanent = await _post(
        agency,
        f"/api/v1/submissions/{other['id']}/transitions",
        {"to": "placed", "start_date": "2027-02-01", "salary": "95000", "fee_percent": "0.2"},
        status=200,
    )
    assert permanent["stage"] == "placed"
    [placement] = (
        await agency.client.get("/api/v1/placements", params={"candidate_id": second["id"]})
    ).json()["items"]
    assert (placement["fee"], placement["fee_percent"]) == ("19000.00", "0.2000")
    # One placement of two openings: still open.
    still = (await agency.client.get(f"/api/v1/requisitions/{requisition['id']}")).json()
    assert still["status"] == "open"

    theirs = other_agency.client
    assert (await theirs.get(f"/api/v1/submissions/{submission['id']}")).status_code == 404
    assert (await theirs.get(f"/api/v1/placements/{placement['id']}")).status_code == 404
    assert (await theirs.get("/api/v1/placements")).json()["items"] == []
    assert (await theirs.post(url, json={"to": "reopen"})).status_code == 404
    foreign = await theirs.post("/api/v1/submissions", json=pair)
    assert foreign.status_code == 404
