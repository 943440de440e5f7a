"""Matching reads distance, relocation and skills written outside the skills list, through
HTTP against the real stack (docs/api.md, "Matching")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Agency
from tests.e2e.helpers import candidate_body, eventually, post_json

pytestmark = pytest.mark.stack


def _person(city: str, country: str, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "headline": "Senior Python Engineer",
        "location": {"city": city, "country": country, "remote": False},
        "skills": [{"name": "Python 3", "years": 6}, {"name": "K8s", "years": 4}],
        "desired_rate": {"amount": "90", "currency": "EUR", "unit": "hour"},
    }
    return candidate_body(**{**fields, **overrides})


async def test_an_onsite_role_in_munich_ranks_munich_above_warsaw_and_honours_relocation(
    agency: Agency,
) -> None:
    client = await post_json(agency, "/api/v1/clients", {"name": "Globex", "status": "active"})
    requisition = await post_json(
        agency,
        "/api/v1/requisitions",
        {
            "client_id": client["id"],
            "title": "Senior Python Engineer",
            "required_skills": ["Python", "Kubernetes"],
            "nice_to_have_skills": ["Kafka", "Terraform"],
            "location": {"city": "Munich", "country": "DE", "remote": "onsite"},
            "bill_rate": {"min": "70", "max": "100", "currency": "EUR"},
        },
    )
    # One more nice-to-have skill than the local candidate, but 800 km away.
    warsaw = await post_json(
        agency,
        "/api/v1/candidates",
        _person(
            "Warsaw",
            "PL",
            skills=[
                {"name": "Python 3", "years": 6},
                {"name": "K8s", "years": 4},
                {"name": "Apache Kafka", "years": 3},
                {"name": "Terraform", "years": 3},
            ],
        ),
    )
    assert warsaw["willing_to_relocate"] is False
    munich = await post_json(agency, "/api/v1/candidates", _person("Dachau", "DE"))
    # Kubernetes only in the headline still counts, with less weight than a listed one.
    headline_only = await post_json(
        agency,
        "/api/v1/candidates",
        _person(
            "Munich",
            "DE",
            headline="Mid-level Platform Engineer (K8s)",
            skills=[{"name": "python3", "years": 6}],
        ),
    )
    url = f"/api/v1/requisitions/{requisition['id']}/matches"

    async def ranked() -> dict[str, Any] | None:
        items = (await agency.client.get(url)).json()["items"]
        return {m["id"]: m for m in items} if len(items) == 3 else None

    by_id = await eventually(ranked, what="the three candidates indexed and matched")
    order = sorted(by_id, key=lambda i: -by_id[i]["score"])
    assert order[0] == munich["id"]
    assert order[-1] == warsaw["id"]
    near, far = by_id[munich["id"]]["reasons"], by_id[warsaw["id"]]["reasons"]
    assert near["location"] == "17 km from Munich"
    assert near["distance_km"] == pytest.approx(17.2, abs=0.5)
    assert near["deal_breakers"] == []
    assert far["distance_km"] > 750
    assert "km from Munich" in far["location"]
    assert any("not willing to relocate" in b for b in far["deal_breakers"])
    assert by_id[warsaw["id"]]["score"] < 0.75 <= by_id[munich["id"]]["score"]
    headline = by_id[headline_only["id"]]["reasons"]
    assert headline["missing_required_skills"] == []
    assert {"name": "Kubernetes", "found_in": "headline"} in headline["skills_found"]

    # The Warsaw candidate will relocate after all: no longer a deal-breaker.
    patched = await agency.client.patch(
        f"/api/v1/candidates/{warsaw['id']}", json={"willing_to_relocate": True}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["willing_to_relocate"] is True
    read = await agency.client.get(f"/api/v1/candidates/{warsaw['id']}")
    assert read.json()["willing_to_relocate"] is True

    async def relocating() -> dict[str, Any] | None:
        items = (await agency.client.get(url)).json()["items"]
        moved = next(m for m in items if m["id"] == warsaw["id"])
        return moved if moved["reasons"].get("willing_to_relocate") else None

    moved = await eventually(relocating, what="the relocation indexed")
    assert moved["reasons"]["deal_breakers"] == []
    assert moved["reasons"]["location"].endswith("km from Munich, willing to relocate")
    assert moved["score"] >= 0.75
