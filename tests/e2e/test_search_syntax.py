"""The recruiter's boolean search syntax against the real OpenSearch."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Agency
from tests.e2e.helpers import candidate_body, eventually

pytestmark = pytest.mark.stack

PEOPLE: dict[str, dict[str, Any]] = {
    "kafka": {
        "headline": "Senior Python Engineer",
        "skills": [{"name": "Python"}, {"name": "Kafka"}],
        "location": {"city": "Berlin", "country": "DE", "remote": False},
        "desired_rate": {"amount": "85", "currency": "EUR", "unit": "hour"},
        "available_from": "2026-12-01",
        "tags": ["backend", "fintech"],
    },
    "pulsar": {
        "headline": "Staff Engineer",
        "skills": [{"name": "Python"}, {"name": "Pulsar"}],
        "location": {"city": "London", "country": "GB", "remote": True},
        "desired_rate": {"amount": "110", "currency": "EUR", "unit": "hour"},
        "available_from": "2027-03-01",
        "tags": ["backend"],
        "work_history": [{"employer": "Initech", "title": "Streaming Architect"}],
    },
    "php": {
        "headline": "Senior Python and PHP Developer",
        "skills": [{"name": "Python"}, {"name": "Kafka"}, {"name": "PHP"}],
        "location": {"city": "Berlin", "country": "DE", "remote": False},
        "tags": ["legacy"],
    },
    "go": {
        "headline": "Staff Engineer, platform",
        "skills": [{"name": "Go"}, {"name": "Kubernetes"}],
        "location": {"city": "Amsterdam", "country": "NL", "remote": True},
        "tags": ["platform"],
        "desired_salary": {"amount": "95000", "currency": "EUR"},
    },
}


async def _people(agency: Agency) -> dict[str, str]:
    ids = {}
    for label, fields in PEOPLE.items():
        r = await agency.client.post("/api/v1/candidates", json=candidate_body(**fields))
        assert r.status_code == 201, r.text
        ids[r.json()["id"]] = label

    async def all_indexed() -> bool:
        r = await agency.client.get("/api/v1/search/candidates", params={"limit": 50})
        return len(r.json()["items"]) == len(PEOPLE)

    await eventually(all_indexed, what="the candidates indexed")
    return ids


async def test_boolean_syntax_phrases_and_fields(agency: Agency, other_agency: Agency) -> None:
    ids = await _people(agency)

    async def found(q: str) -> set[str]:
        r = await agency.client.get("/api/v1/search/candidates", params={"q": q, "limit": 50})
        assert r.status_code == 200, r.text
        return {ids[item["id"]] for item in r.json()["items"]}

    assert await found("senior python AND (kafka OR pulsar) NOT php") == {"kafka"}
    assert await found("python AND (kafka OR pulsar) -php") == {"kafka", "pulsar"}
    assert await found('title:"staff engineer"') == {"pulsar", "go"}
    assert await found("skill:go OR skill:pulsar") == {"go", "pulsar"}
    assert await found("city:berlin") == {"kafka", "php"}
    assert await found("k8s") == {"go"}  # the vocabulary's spellings: k8s is Kubernetes
    assert await found("employer:initech") == {"pulsar"}  # work history is searched too
    assert await found("architect") == {"pulsar"}
    assert await found("skill:golang") == {"go"}
    assert await found("NOT skill:python") == {"go"}
    # Lower-case "and" is a word, and a word too common to search for: it is ignored.
    # Plain words find anyone with one of them, those with both first.
    r = await agency.client.get("/api/v1/search/candidates", params={"q": "kafka and python"})
    ranked = [ids[item["id"]] for item in r.json()["items"]]
    assert set(ranked[:2]) == {"kafka", "php"}
    assert ranked[2:] == ["pulsar"]
    assert await found("kafka AND python") == {"kafka", "php"}
    theirs = await other_agency.client.get("/api/v1/search/candidates", params={"q": "python"})
    assert theirs.json()["items"] == []


@pytest.mark.parametrize(
    ("q", "position"),
    [("python AND (kafka OR", 21), ('title:"staff', 7), ("shoe:44", 1), ("python)", 7)],
)
async def test_a_malformed_query_is_400_saying_where(agency: Agency, q: str, position: int) -> None:
    r = await agency.client.get("/api/v1/search/candidates", params={"q": q})
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["position"] == position
    assert f"character {position}" in problem["detail"]


async def test_filters_facets_sorting_and_cursors(agency: Agency) -> None:
    ids = await _people(agency)

    async def found(**params: Any) -> set[str]:
        r = await agency.client.get("/api/v1/search/candidates", params=params)
        assert r.status_code == 200, r.text
        return {ids[item["id"]] for item in r.json()["items"]}

    assert await found(skills="k8s") == {"go"}  # synonyms: k8s is Kubernetes
    assert await found(skills="python,kafka") == {"kafka", "php"}
    assert await found(skills_any=["pulsar", "golang"]) == {"pulsar", "go"}
    assert await found(city="berlin") == {"kafka", "php"}
    assert await found(remote="true", q="engineer") == {"pulsar", "go"}
    assert await found(rate_max="90", currency="EUR") == {"kafka"}
    assert await found(salary_max="100000", currency="EUR") == {"go"}
    assert await found(salary_min="100000") == set()
    assert await found(available_before="2027-01-01") == {"kafka", "php", "go"}
    assert await found(tags="backend") == {"kafka", "pulsar"}
    assert await found(status="placed") == set()
    bad = await agency.client.get("/api/v1/search/candidates", params={"status": "asleep"})
    assert bad.status_code == 400
    assert "asleep" in bad.json()["detail"]

    first = (await agency.client.get("/api/v1/search/candidates", params={"q": "python"})).json()
    skills = {f["value"]: f["count"] for f in first["facets"]["skills"]}
    assert skills["python"] == 3
    assert skills["kafka"] == 2
    assert {f["value"]: f["count"] for f in first["facets"]["city"]} == {"Berlin": 2, "London": 1}
    assert any(
        "<em>" in text for hit in first["items"] for text in hit["highlights"].get("skills", [])
    )

    recent = (
        await agency.client.get("/api/v1/search/candidates", params={"sort": "recent"})
    ).json()["items"]
    assert [h["updated_at"] for h in recent] == sorted(
        (h["updated_at"] for h in recent), reverse=True
    )

    page = (await agency.client.get("/api/v1/search/candidates", params={"limit": 2})).json()
    rest = (
        await agency.client.get(
            "/api/v1/search/candidates", params={"limit": 2, "cursor": page["next_cursor"]}
        )
    ).json()
    seen = [h["id"] for h in page["items"] + rest["items"]]
    assert sorted(seen) == sorted(ids)
    assert rest["facets"] is None  # counted on the first page only


async def test_requisition_search(agency: Agency, other_agency: Agency) -> None:
    client = (
        await agency.client.post("/api/v1/clients", json={"name": "Pied Piper", "status": "active"})
    ).json()
    made = {}
    for label, body in {
        "data": {
            "title": "Senior Data Engineer",
            "required_skills": ["Python", "Kafka"],
            "employment_type": "contract",
            "priority": "hot",
        },
        "platform": {
            "title": "Platform Engineer",
            "required_skills": ["Go", "k8s"],
            "employment_type": "permanent",
            "location": {"city": "Berlin", "country": "DE", "remote": "hybrid"},
        },
        "web": {
            "title": "Frontend Developer",
            "required_skills": ["TypeScript"],
            "nice_to_have_skills": ["Python"],
            "employment_type": "contract",
        },
    }.items():
        r = await agency.client.post(
            "/api/v1/requisitions", json={"client_id": client["id"], **body}
        )
        assert r.status_code == 201, r.text
        made[r.json()["id"]] = label
    web = next(i for i, label in made.items() if label == "web")
    held = await agency.client.post(
        f"/api/v1/requisitions/{web}/status", json={"status": "on_hold", "reason": "budget"}
    )
    assert held.status_code == 200, held.text

    async def found(**params: Any) -> set[str]:
        r = await agency.client.get("/api/v1/search/requisitions", params=params)
        assert r.status_code == 200, r.text
        return {made[item["id"]] for item in r.json()["items"]}

    async def indexed() -> bool:
        return await found(status="on_hold") == {"web"}

    await eventually(indexed, what="the requisitions indexed, the hold too")
    assert await found(q="python") == {"data", "web"}
    assert await found(q="python AND type:contract", status="open") == {"data"}
    assert await found(q='title:"platform engineer"') == {"platform"}
    assert await found(skills="kubernetes") == {"platform"}
    assert await found(remote="hybrid") == {"platform"}
    assert await found(priority="hot") == {"data"}
    page = (await agency.client.get("/api/v1/search/requisitions")).json()
    statuses = {f["value"]: f["count"] for f in page["facets"]["status"]}
    assert statuses == {"open": 2, "on_hold": 1}
    bad = await agency.client.get("/api/v1/search/requisitions", params={"q": "(python"})
    assert bad.status_code == 400
    theirs = await other_agency.client.get("/api/v1/search/requisitions")
    assert theirs.json()["items"] == []
