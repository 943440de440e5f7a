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
