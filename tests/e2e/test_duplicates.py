"""Likely duplicates with a score and reasons."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import Agency
from tests.e2e.helpers import candidate_body

pytestmark = pytest.mark.stack


async def test_near_duplicates_are_found_with_reasons(agency: Agency, other_agency: Agency) -> None:
    surname = f"Hopper{uuid.uuid4().hex[:6]}"
    history = [{"employer": "US Navy", "title": "Rear Admiral"}]
    original = (
        await agency.client.post(
            "/api/v1/candidates",
            json=candidate_body(
                first_name="Grace",
                last_name=surname,
                emails=["grace.hopper@navy.example"],
                phones=["+1 202 555 0147"],
                work_history=history,
            ),
        )
    ).json()
    near = (
        await agency.client.post(
            "/api/v1/candidates",
            json=candidate_body(
                first_name="Grace",
                last_name=surname,
                emails=["gracehopper@gmail.com"],
                phones=["+44 20 7946 0958"],
                work_history=history,
            ),
        )
    ).json()
    stranger = (
        await agency.client.post(
            "/api/v1/candidates",
            json=candidate_body(first_name="Alan", last_name=f"Turing{uuid.uuid4().hex[:6]}"),
        )
    ).json()
    # Another agency's Grace is never a candidate for merging.
    await other_agency.client.post(
        "/api/v1/candidates",
        json=candidate_body(first_name="Grace", last_name=surname, work_history=history),
    )

    found = await agency.client.get(f"/api/v1/candidates/{original['id']}/duplicates")
    assert found.status_code == 200, found.text
    items = found.json()["items"]
    assert [i["id"] for i in items] == [near["id"]]
    assert items[0]["score"] >= 0.8
    assert "same name" in items[0]["reasons"]
    assert "same email name at another address" in items[0]["reasons"]
    assert stranger["id"] not in [i["id"] for i in items]
    assert (
        await other_agency.client.get(f"/api/v1/candidates/{original['id']}/duplicates")
    ).status_code == 404


async def test_merge_moves_everything_to_the_survivor(agency: Agency, other_agency: Agency) -> None:
    survivor = (
        await agency.client.post(
            "/api/v1/candidates", json=candidate_body(tags=["python"], skills=[{"name": "Python"}])
        )
    ).json()
    duplicate = (
        await agency.client.post(
            "/api/v1/candidates",
            json=candidate_body(
                tags=["kafka"],
                skills=[{"name": "python"}, {"name": "Kafka"}],
                phones=["+1 415 555 0199"],
            ),
        )
    ).json()
    client = (await agency.client.post("/api/v1/clients", json={"name": "Pied Piper"})).json()
    requisition = (
        await agency.client.post(
            "/api/v1/requisitions", json={"client_id": client["id"], "title": "Compression"}
        )
    ).json()
    submission = (
        await agency.client.post(
            "/api/v1/submissions",
            json={"candidate_id": duplicate["id"], "requisition_id": requisition["id"]},
        )
    ).json()
    await agency.client.post(
        "/api/v1/notes",
        json={
            "subject_type": "candidate",
            "subject_id": duplicate["id"],
            "body": "Met at a meetup",
        },
    )

    url = f"/api/v1/candidates/{survivor['id']}/merge"
    merged = await agency.client.post(url, json={"duplicate_id": duplicate["id"]})
    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert body["id"] == survivor["id"]
    assert set(body["emails"]) == {*survivor["emails"], *duplicate["emails"]}
    assert body["phones"] == ["+14155550199"]
    assert body["tags"] == ["python", "kafka"]
    assert [s["name"] for s in body["skills"]] == ["Python", "Kafka"]

    folded = (await agency.client.get(f"/api/v1/candidates/{duplicate['id']}")).json()
    assert folded["merged_into"] == survivor["id"]
    moved = (await agency.client.get(f"/api/v1/submissions/{submission['id']}")).json()
    assert moved["candidate_id"] == survivor["id"]
    timeline = (await agency.client.get(f"/api/v1/candidates/{survivor['id']}/timeline")).json()
    assert "note" in [i["kind"] for i in timeline["items"]]
    listed = [c["id"] for c in (await agency.client.get("/api/v1/candidates")).json()["items"]]
    assert duplicate["id"] not in listed
    # The duplicate's email now finds the survivor.
    clash = await agency.client.post(
        "/api/v1/candidates", json=candidate_body(emails=duplicate["emails"])
    )
    assert clash.json()["duplicate_of"] == survivor["id"]

    again = await agency.client.post(url, json={"duplicate_id": duplicate["id"]})
    assert again.status_code == 409
    itself = await agency.client.post(url, json={"duplicate_id": survivor["id"]})
    assert itself.status_code == 422
    assert (
        await other_agency.client.post(url, json={"duplicate_id": duplicate["id"]})
    ).status_code == 404
