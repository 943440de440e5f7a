"""Notes on records and a candidate's timeline."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import Agency
from tests.e2e.helpers import candidate_body

pytestmark = pytest.mark.stack


async def test_notes_and_the_timeline_in_time_order(agency: Agency, other_agency: Agency) -> None:
    candidate = (await agency.client.post("/api/v1/candidates", json=candidate_body())).json()
    client = (await agency.client.post("/api/v1/clients", json={"name": "Vandelay"})).json()
    requisition = (
        await agency.client.post(
            "/api/v1/requisitions", json={"client_id": client["id"], "title": "Importer"}
        )
    ).json()
    note = await agency.client.post(
        "/api/v1/notes",
        json={
            "subject_type": "candidate",
            "subject_id": candidate["id"],
            "kind": "prescreen",
            "body": "Strong on Python, wants remote.",
        },
    )
    assert note.status_code == 201, note.text
    assert note.json()["author"].startswith("user:")
    submission = (
        await agency.client.post(
            "/api/v1/submissions",
            json={"candidate_id": candidate["id"], "requisition_id": requisition["id"]},
        )
    ).json()
    moved = await agency.client.post(
        f"/api/v1/submissions/{submission['id']}/transitions", json={"to": "submitted"}
    )
    assert moved.status_code == 200

    on_client = await agency.client.post(
        "/api/v1/notes",
        json={
            "subject_type": "client",
            "subject_id": client["id"],
            "kind": "call",
            "body": "Kickoff",
        },
    )
    assert on_client.status_code == 201
    listed = (await agency.client.get("/api/v1/notes", params={"subject_id": client["id"]})).json()
    assert [n["body"] for n in listed["items"]] == ["Kickoff"]

    timeline = (await agency.client.get(f"/api/v1/candidates/{candidate['id']}/timeline")).json()
    kinds = [item["kind"] for item in timeline["items"]]
    assert kinds == ["created", "note", "stage_change", "stage_change"]
    ats = [item["at"] for item in timeline["items"]]
    assert ats == sorted(ats)
    assert timeline["items"][-1]["detail"]["to"] == "submitted"

    nowhere = await agency.client.post(
        "/api/v1/notes",
        json={"subject_type": "candidate", "subject_id": str(uuid.uuid4()), "body": "x"},
    )
    assert nowhere.status_code == 404
    theirs = other_agency.client
    assert (
        await theirs.post(
            "/api/v1/notes",
            json={"subject_type": "candidate", "subject_id": candidate["id"], "body": "x"},
        )
    ).status_code == 404
    assert (await theirs.get(f"/api/v1/candidates/{candidate['id']}/timeline")).status_code == 404
    assert (await theirs.get("/api/v1/notes", params={"subject_id": client["id"]})).json()[
        "items"
    ] == []
