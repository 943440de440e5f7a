"""Interviews and scorecards on a submission."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Agency
from tests.e2e.helpers import candidate_body

pytestmark = pytest.mark.stack


async def test_interviews_with_feedback(agency: Agency, other_agency: Agency) -> None:
    candidate = (await agency.client.post("/api/v1/candidates", json=candidate_body())).json()
    client = (await agency.client.post("/api/v1/clients", json={"name": "Hooli"})).json()
    requisition = (
        await agency.client.post(
            "/api/v1/requisitions", json={"client_id": client["id"], "title": "SRE"}
        )
    ).json()
    submission = (
        await agency.client.post(
            "/api/v1/submissions",
            json={"candidate_id": candidate["id"], "requisition_id": requisition["id"]},
        )
    ).json()
    base = f"/api/v1/submissions/{submission['id']}"

    later = await agency.client.post(
        f"{base}/interviews",
        json={
            "scheduled_at": "2027-01-12T15:00:00Z",
            "kind": "onsite",
            "interviewers": ["Gavin"],
            "location": "Palo Alto",
        },
    )
    first = await agency.client.post(
        f"{base}/interviews",
        json={
            "scheduled_at": "2027-01-10T09:30:00Z",
            "kind": "video",
            "interviewers": ["Richard"],
            "location": "https://meet.example/abc",
        },
    )
    assert first.status_code == later.status_code == 201, first.text
    listed = (await agency.client.get(f"{base}/interviews")).json()["items"]
    assert [i["kind"] for i in listed] == ["video", "onsite"]

    interview_id = first.json()["id"]
    scorecard = await agency.client.post(
        f"/api/v1/interviews/{interview_id}/feedback",
        json={"rating": 4, "recommendation": "yes", "notes": "Clear on incident response."},
    )
    assert scorecard.status_code == 201, scorecard.text
    assert scorecard.json()["author"].startswith("user:")
    bad = await agency.client.post(
        f"/api/v1/interviews/{interview_id}/feedback", json={"rating": 7, "recommendation": "maybe"}
    )
    assert bad.status_code == 422
    assert {"rating", "recommendation"} <= set(bad.json()["errors"])
    cards = (await agency.client.get(f"/api/v1/interviews/{interview_id}/feedback")).json()
    assert [c["rating"] for c in cards["items"]] == [4]

    await agency.client.post(f"{base}/transitions", json={"to": "withdrawn"})
    closed = await agency.client.post(
        f"{base}/interviews", json={"scheduled_at": "2027-01-20T09:00:00Z", "kind": "phone"}
    )
    assert closed.status_code == 409

    theirs = other_agency.client
    assert (await theirs.get(f"{base}/interviews")).status_code == 404
    assert (await theirs.get(f"/api/v1/interviews/{interview_id}/feedback")).status_code == 404
    assert (
        await theirs.post(
            f"/api/v1/interviews/{interview_id}/feedback",
            json={"rating": 1, "recommendation": "no"},
        )
    ).status_code == 404
