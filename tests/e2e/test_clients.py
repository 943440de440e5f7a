"""Client companies and their contacts through HTTP, Kafka and Postgres."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import Agency

pytestmark = pytest.mark.stack


async def test_a_client_with_contacts(agency: Agency, other_agency: Agency) -> None:
    created = await agency.client.post(
        "/api/v1/clients",
        json={
            "name": "Acme Robotics",
            "industry": "Manufacturing",
            "status": "active",
            "default_fee_percent": "0.2",
            "payment_terms": "net 30",
        },
    )
    assert created.status_code == 201, created.text
    client = created.json()
    assert created.headers["Location"] == f"/api/v1/clients/{client['id']}"
    assert client["default_fee_percent"] == "0.2000"
    assert client["version"] == 1

    contact = await agency.client.post(
        f"/api/v1/clients/{client['id']}/contacts",
        json={
            "first_name": "Grace",
            "last_name": "Hopper",
            "title": "VP Engineering",
            "email": "Grace@Acme.example",
            "phone": "+1 415 555 0100",
            "role": "hiring_manager",
        },
    )
    assert contact.status_code == 201, contact.text
    assert contact.json()["email"] == "grace@acme.example"
    assert contact.json()["phone"] == "+14155550100"
    contact_id = contact.json()["id"]

    listed = (await agency.client.get(f"/api/v1/clients/{client['id']}/contacts")).json()
    assert [c["id"] for c in listed["items"]] == [contact_id]

    moved = await agency.client.patch(
        f"/api/v1/contacts/{contact_id}", json={"title": "CTO"}, headers={"If-Match": '"1"'}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["title"] == "CTO"
    assert moved.headers["ETag"] == '"2"'

    renamed = await agency.client.patch(
        f"/api/v1/clients/{client['id']}", json={"name": "Acme Robotics GmbH", "industry": None}
    )
    assert renamed.status_code == 200
    assert renamed.json()["industry"] is None
    stale = await agency.client.patch(
        f"/api/v1/clients/{client['id']}",
        json={"status": "inactive"},
        headers={"If-Match": '"1"'},
    )
    assert stale.status_code == 412

    by_status = await agency.client.get("/api/v1/clients", params={"status": "active"})
    assert [c["id"] for c in by_status.json()["items"]] == [client["id"]]

    # Another agency sees none of it and cannot write to it.
    theirs = other_agency.client
    assert (await theirs.get(f"/api/v1/clients/{client['id']}")).status_code == 404
    assert (await theirs.get(f"/api/v1/contacts/{contact_id}")).status_code == 404
    assert (await theirs.get(f"/api/v1/clients/{client['id']}/contacts")).status_code == 404
    assert (await theirs.get("/api/v1/clients")).json()["items"] == []
    hijack = await theirs.post(
        f"/api/v1/clients/{client['id']}/contacts", json={"first_name": "X", "last_name": "Y"}
    )
    assert hijack.status_code == 404
    assert (
        await theirs.patch(f"/api/v1/contacts/{contact_id}", json={"title": "x"})
    ).status_code == 404


async def test_bad_client_input_is_a_4xx(agency: Agency) -> None:
    assert (await agency.client.post("/api/v1/clients", json={})).status_code == 422
    fee = await agency.client.post("/api/v1/clients", json={"name": "X", "default_fee_percent": 20})
    assert fee.status_code == 422
    assert "default_fee_percent" in fee.json()["errors"]
    unknown = await agency.client.post(
        f"/api/v1/clients/{uuid.uuid4()}/contacts", json={"first_name": "A", "last_name": "B"}
    )
    assert unknown.status_code == 404
    client = (await agency.client.post("/api/v1/clients", json={"name": "Initech"})).json()
    bad_email = await agency.client.post(
        f"/api/v1/clients/{client['id']}/contacts",
        json={"first_name": "A", "last_name": "B", "email": "nope"},
    )
    assert bad_email.status_code == 422
    cleared = await agency.client.patch(f"/api/v1/clients/{client['id']}", json={"name": None})
    assert cleared.status_code == 422
