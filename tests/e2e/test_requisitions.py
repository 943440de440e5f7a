"""Requisitions of a client through HTTP, Kafka and Postgres."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.conftest import Agency

pytestmark = pytest.mark.stack


async def _client_with_contact(agency: Agency) -> tuple[dict[str, Any], dict[str, Any]]:
    client = (await agency.client.post("/api/v1/clients", json={"name": "Globex"})).json()
    contact = (
        await agency.client.post(
            f"/api/v1/clients/{client['id']}/contacts",
            json={"first_name": "Hank", "last_name": "Scorpio", "role": "hiring_manager"},
        )
    ).json()
    return client, contact


async def test_open_change_and_close_a_requisition(agency: Agency, other_agency: Agency) -> None:
    client, contact = await _client_with_contact(agency)
    body = {
        "client_id": client["id"],
        "contact_id": contact["id"],
        "title": "Senior Python Engineer",
        "required_skills": ["Python", "Kafka"],
        "nice_to_have_skills": ["Go"],
        "location": {"city": "Berlin", "country": "DE", "remote": "hybrid"},
        "employment_type": "contract",
        "openings": 2,
        "priority": "hot",
        "bill_rate": {"min": "90", "max": "110", "currency": "EUR"},
        "fee_percent": "0.18",
    }
    created = await agency.client.post("/api/v1/requisitions", json=body)
    assert created.status_code == 201, created.text
    req = created.json()
    assert req["status"] == "open"
    assert req["opened_at"]
    assert (
        req["bill_rate"] == {"min": "90.00", "max": "110.00", "currency": "EUR"}
        or req["bill_rate"]["currency"] == "EUR"
    )
    url = f"/api/v1/requisitions/{req['id']}"
    fetched = await agency.client.get(url)
    assert fetched.status_code == 200
    assert fetched.json() == req
    assert fetched.headers["ETag"] == '"1"'

    changed = await agency.client.patch(url, json={"openings": 3}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert changed.json()["openings"] == 3

    held = await agency.client.post(f"{url}/status", json={"status": "on_hold"})
    assert held.status_code == 422  # a hold needs a reason
    held = await agency.client.post(
        f"{url}/status", json={"status": "on_hold", "reason": "budget review"}
    )
    assert held.status_code == 200, held.text
    assert (held.json()["status"], held.json()["status_reason"]) == ("on_hold", "budget review")
    again = await agency.client.post(f"{url}/status", json={"status": "on_hold", "reason": "still"})
    assert again.status_code == 409

    hot = await agency.client.get("/api/v1/requisitions", params={"client_id": client["id"]})
    assert [r["id"] for r in hot.json()["items"]] == [req["id"]]
    assert (await other_agency.client.get(url)).status_code == 404
    assert (await other_agency.client.get("/api/v1/requisitions")).json()["items"] == []
    blocked = await other_agency.client.post(
        f"{url}/status", json={"status": "closed", "reason": "mine now"}
    )
    assert blocked.status_code == 404


async def test_requisition_rules(agency: Agency, other_agency: Agency) -> None:
    client, _ = await _client_with_contact(agency)
    foreign_client, foreign_contact = await _client_with_contact(other_agency)
    unknown_client = await agency.client.post(
        "/api/v1/requisitions", json={"client_id": foreign_client["id"], "title": "X"}
    )
    assert unknown_client.status_code == 404
    wrong_contact = await agency.client.post(
        "/api/v1/requisitions",
        json={"client_id": client["id"], "contact_id": foreign_contact["id"], "title": "X"},
    )
    assert wrong_contact.status_code == 422
    inverted = await agency.client.post(
        "/api/v1/requisitions",
        json={
            "client_id": client["id"],
            "title": "X",
            "bill_rate": {"min": "120", "max": "100", "currency": "EUR"},
        },
    )
    assert inverted.status_code == 422
    assert (await agency.client.get(f"/api/v1/requisitions/{uuid.uuid4()}")).status_code == 404
