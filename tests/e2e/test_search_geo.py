"""Radius search, keyword coverage ranking, prefixes and totals, against the real
OpenSearch (the gazetteer puts each record's city on the map as it is indexed)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Agency
from tests.e2e.helpers import candidate_body, eventually

pytestmark = pytest.mark.stack

SEARCH = "/api/v1/search/candidates"

# Kilometres from Munich: Dachau 17.2, Freising 32.2, Augsburg 56.5, Ingolstadt 70.7,
# Berlin 505. "München" is Munich by its German name.
PLACES: dict[str, dict[str, Any] | None] = {
    "munich": {"city": "München", "country": "DE", "remote": False},
    "dachau": {"city": "Dachau", "country": "DE", "remote": False},
    "freising": {"city": "freising", "remote": False},
    "augsburg": {"city": "Augsburg", "country": "DE", "remote": True},
    "ingolstadt": {"city": "Ingolstadt", "country": "DE"},
    "berlin": {"city": "Berlin", "country": "DE"},
    "remote": {"remote": True},  # no city: nowhere on the map
}


async def _made(agency: Agency, bodies: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Candidates made and indexed: their ids, to their labels."""
    ids = {}
    for label, body in bodies.items():
        r = await agency.client.post("/api/v1/candidates", json=candidate_body(**body))
        assert r.status_code == 201, r.text
        ids[r.json()["id"]] = label

    async def indexed() -> bool:
        r = await agency.client.get(SEARCH, params={"limit": 50})
        return len(r.json()["items"]) == len(bodies)

    await eventually(indexed, what="the candidates indexed")
    return ids


async def _search(agency: Agency, path: str = SEARCH, **params: Any) -> dict[str, Any]:
    r = await agency.client.get(path, params=params)
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    return answer


async def test_radius_search_by_city_and_coordinates(agency: Agency) -> None:
    ids = await _made(agency, {label: {"location": place} for label, place in PLACES.items()})

    def labels(answer: dict[str, Any]) -> list[str]:
        return [ids[item["id"]] for item in answer["items"]]

    near_munich = await _search(agency, near="Munich", radius_km=40, sort="distance")
    assert labels(near_munich) == ["munich", "dachau", "freising"]
    assert [item["distance_km"] for item in near_munich["items"]] == [0.0, 17.2, 32.2]
    assert near_munich["items"][1]["reasons"]["distance_km"] == 17.2
    assert (near_munich["total"], near_munich["total_relation"]) == (3, "eq")

    # Coordinates; the default radius is 50 km, so Augsburg (56.5) needs a wider one.
    by_point = await _search(agency, near="48.14,11.58", radius_km=60)
    assert set(labels(by_point)) == {"munich", "dachau", "freising", "augsburg"}
    assert all(item["distance_km"] is not None for item in by_point["items"])
    default = await _search(agency, near="München, DE")
    assert set(labels(default)) == {"munich", "dachau", "freising"}

    # The whole world: everyone with a city, never the remote-only candidate.
    world = await _search(agency, near="Munich", radius_km=20000, sort="distance", limit=2)
    assert world["total"] == 6
    page_two = await _search(
        agency,
        near="Munich",
        radius_km=20000,
        sort="distance",
        limit=50,
        cursor=world["next_cursor"],
    )
    assert labels(world) + labels(page_two) == [
        "munich",
        "dachau",
        "freising",
        "augsburg",
        "ingolstadt",
        "berlin",
    ]
    # Other filters and a query still apply within the radius.
    assert labels(await _search(agency, near="Munich", radius_km=100, remote="true")) == [
        "augsburg"
    ]
    # Without near there is no distance.
    assert all(item["distance_km"] is None for item in (await _search(agency))["items"])


@pytest.mark.parametrize(
    ("params", "field", "says"),
    [
        ({"near": "Qwzxv Nowhere"}, "near", "not found"),
        ({"near": "95,10"}, "near", "out of range"),
        ({"sort": "distance"}, "sort", "needs near"),
        ({"q": "j*"}, "q", "at least 2 characters"),
    ],
)
async def test_what_a_search_cannot_do_is_422_saying_why(
    agency: Agency, params: dict[str, str], field: str, says: str
) -> None:
    for path in (SEARCH, "/api/v1/search/requisitions"):
        r = await agency.client.get(path, params=params)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        problem = r.json()
        assert says in problem["detail"]
        assert field in problem["errors"]
        if field == "near" and says == "not found":
            assert "lat,lon" in problem["detail"]


async def test_plain_words_rank_by_how_many_of_them_a_candidate_has(agency: Agency) -> None:
    ids = await _made(
        agency,
        {
            "all_three": {
                "headline": "Platform engineer",
                "skills": [{"name": "Python"}, {"name": "k8s"}, {"name": "Terraform"}],
            },
            "python_only": {
                "headline": "Python developer, Python tooling, Python everywhere",
                "skills": [{"name": "Python"}],
                "work_history": [{"employer": "Pythonic", "title": "Python engineer"}],
            },
            "two": {
                "headline": "Cloud engineer",
                "skills": [{"name": "Terraform"}, {"name": "Kubernetes"}],
            },
            "neither": {"headline": "Accountant", "skills": [{"name": "Excel"}]},
        },
    )
    answer = await _search(agency, q="python kubernetes terraform")
    ranked = [ids[item["id"]] for item in answer["items"]]
    assert ranked == ["all_three", "two", "python_only"]
    assert answer["total"] == 3
    top = answer["items"][0]["reasons"]
    assert top["coverage"] == 1.0
    assert top["matched_terms"] == ["python", "kubernetes", "terraform"]
    assert answer["items"][2]["reasons"]["matched_terms"] == ["python"]
    # As many plain words as a query may hold stay within the index's clause limit.
    long = " ".join(["python", *(f"word{i}" for i in range(99))])
    # Both cover one term of the hundred; then the one who says python more comes first.
    assert [ids[i["id"]] for i in (await _search(agency, q=long))["items"]] == [
        "python_only",
        "all_three",
    ]
    # Written out, AND keeps asking for every part.
    strict = await _search(agency, q="python AND kubernetes AND terraform")
    assert [ids[item["id"]] for item in strict["items"]] == ["all_three"]


async def test_a_prefix_and_totals(agency: Agency) -> None:
    ids = await _made(
        agency,
        {
            "java": {"headline": "Backend", "skills": [{"name": "Java"}]},
            "javascript": {
                "headline": "Frontend",
                "skills": [{"name": "JavaScript"}, {"name": "React"}],
            },
            "python": {"headline": "Data", "skills": [{"name": "Python"}]},
        },
    )
    prefixed = await _search(agency, q="java*")
    assert {ids[item["id"]] for item in prefixed["items"]} == {"java", "javascript"}
    assert (prefixed["total"], prefixed["total_relation"]) == (2, "eq")
    fielded = await _search(agency, q="skill:javasc*")
    assert [ids[item["id"]] for item in fielded["items"]] == ["javascript"]
    # A skill's other spellings find it, in a plain query as in any.
    spelled = await _search(agency, q="React.js golang")
    assert [ids[item["id"]] for item in spelled["items"]] == ["javascript"]
    # The total counts every page's matches, not the page's.
    page = await _search(agency, limit=1)
    assert len(page["items"]) == 1
    assert page["total"] == 3
    assert (await _search(agency, q="cobol"))["total"] == 0


async def test_requisitions_near_a_place(agency: Agency) -> None:
    client = (
        await agency.client.post(
            "/api/v1/clients", json={"name": "Bavaria GmbH", "status": "active"}
        )
    ).json()
    made = {}
    for label, location in {
        "munich": {"city": "Munich", "country": "DE", "remote": "hybrid"},
        "freising": {"city": "Freising", "country": "DE", "remote": "onsite"},
        "berlin": {"city": "Berlin", "country": "DE", "remote": "onsite"},
        "anywhere": {"remote": "remote"},
    }.items():
        r = await agency.client.post(
            "/api/v1/requisitions",
            json={
                "client_id": client["id"],
                "title": f"Platform Engineer {label}",
                "required_skills": ["Go"],
                "location": location,
            },
        )
        assert r.status_code == 201, r.text
        made[r.json()["id"]] = label
    path = "/api/v1/search/requisitions"

    async def indexed() -> bool:
        return (await _search(agency, path))["total"] == len(made)

    await eventually(indexed, what="the requisitions indexed")
    near = await _search(agency, path, near="48.1374,11.5755", sort="distance")
    assert [made[item["id"]] for item in near["items"]] == ["munich", "freising"]
    assert [item["distance_km"] for item in near["items"]] == [0.0, 32.2]
    assert near["total"] == 2
    assert {made[i["id"]] for i in (await _search(agency, path, near="Berlin"))["items"]} == {
        "berlin"
    }
