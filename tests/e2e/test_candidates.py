"""The first vertical slice: a candidate through HTTP, Kafka, the agents and every store."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import PASSWORD, Agency, System
from tests.e2e.helpers import candidate_body, eventually

pytestmark = pytest.mark.stack


async def _create(agency: Agency, **overrides: Any) -> dict[str, Any]:
    response = await agency.client.post("/api/v1/candidates", json=candidate_body(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_create_answers_201_with_the_stored_candidate(agency: Agency) -> None:
    body = candidate_body(phones=["(415) 555-2671"])
    response = await agency.client.post("/api/v1/candidates", json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["Location"] == f"/api/v1/candidates/{created['id']}"
    assert response.headers["ETag"] == '"1"'
    assert created["tenant_id"] == str(agency.tenant_id)
    assert created["version"] == 1
    assert created["emails"] == [body["emails"][0].lower()]
    assert created["phones"] == ["+14155552671"]
    # The profile half lives in MongoDB; a read joins it back.
    assert [s["name"] for s in created["skills"]] == ["Python", "Kafka"]

    fetched = await agency.client.get(f"/api/v1/candidates/{created['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == created
    assert fetched.headers["ETag"] == '"1"'
    # Answered from the sealed event the outcome's announcement carried, opened with the
    # person's key, not read back from the stores (and it is the same candidate).
    timing = _timing(response)
    assert "open" in timing, response.headers["Server-Timing"]
    assert "read" not in timing, response.headers["Server-Timing"]
    assert timing["total"] >= timing["send"] + timing["wait"]


def _timing(response: httpx.Response) -> dict[str, float]:
    """A write's Server-Timing as {name: ms}."""
    out = {}
    for part in response.headers["Server-Timing"].split(","):
        name, _, dur = part.strip().partition(";dur=")
        out[name] = float(dur)
    return out


async def test_list_pages_with_an_opaque_cursor(agency: Agency) -> None:
    ids = [(await _create(agency))["id"] for _ in range(3)]
    first = (await agency.client.get("/api/v1/candidates", params={"limit": 2})).json()
    assert [c["id"] for c in first["items"]] == ids[::-1][:2]
    assert first["next_cursor"]
    second = (
        await agency.client.get(
            "/api/v1/candidates", params={"limit": 2, "cursor": first["next_cursor"]}
        )
    ).json()
    assert [c["id"] for c in second["items"]] == [ids[0]]
    assert second["next_cursor"] is None


async def test_search_finds_a_new_candidate_by_skill_and_headline(agency: Agency) -> None:
    marker = f"Zx{uuid.uuid4().hex[:8]}"
    created = await _create(agency, skills=[{"name": marker}], headline="Principal Rust Engineer")

    async def hit_ids(q: str) -> list[str]:
        r = await agency.client.get("/api/v1/search/candidates", params={"q": q})
        assert r.status_code == 200, r.text
        return [item["id"] for item in r.json()["items"]]

    assert await eventually(lambda: hit_ids(marker), what="search visibility") == [created["id"]]
    assert created["id"] in await hit_ids(f"rust {marker}")
    # Plain words rank by how many a candidate has; AND asks for every one.
    assert await hit_ids(f"cobol AND {marker}") == []


async def test_another_agency_never_sees_the_candidate(
    agency: Agency, other_agency: Agency
) -> None:
    marker = f"Qv{uuid.uuid4().hex[:8]}"
    created = await _create(agency, skills=[{"name": marker}])

    async def mine() -> list[Any]:
        r = await agency.client.get("/api/v1/search/candidates", params={"q": marker})
        return list(r.json()["items"])

    await eventually(mine, what="search visibility")
    theirs = other_agency.client
    assert (await theirs.get(f"/api/v1/candidates/{created['id']}")).status_code == 404
    assert (await theirs.get("/api/v1/candidates")).json()["items"] == []
    search = await theirs.get("/api/v1/search/candidates", params={"q": marker})
    assert search.json()["items"] == []


async def test_same_email_in_the_same_agency_is_a_409_naming_the_original(
    agency: Agency, other_agency: Agency
) -> None:
    first = await _create(agency)
    again = candidate_body(emails=[f"  {first['emails'][0].upper()} "], first_name="Augusta")
    response = await agency.client.post("/api/v1/candidates", json=again)
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["duplicate_of"] == first["id"]
    # Another agency may hold the same person.
    assert (await other_agency.client.post("/api/v1/candidates", json=again)).status_code == 201


async def test_respond_async_answers_202_and_the_command_reports_the_outcome(
    agency: Agency, other_agency: Agency
) -> None:
    response = await agency.client.post(
        "/api/v1/candidates", json=candidate_body(), headers={"Prefer": "respond-async"}
    )
    assert response.status_code == 202, response.text
    status_url = response.json()["status_url"]
    assert status_url == f"/api/v1/commands/{response.json()['command_id']}"

    async def applied() -> dict[str, Any] | None:
        status = (await agency.client.get(status_url)).json()
        return status if status["status"] == "applied" else None

    outcome = await eventually(applied, what="the command to apply")
    candidate = await agency.client.get(f"/api/v1/candidates/{outcome['resource_id']}")
    assert candidate.status_code == 200
    assert (await other_agency.client.get(status_url)).status_code == 404


async def test_idempotency_key_applies_once(agency: Agency) -> None:
    body = candidate_body()
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = await agency.client.post("/api/v1/candidates", json=body, headers=key)
    second = await agency.client.post("/api/v1/candidates", json=body, headers=key)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    listed = (await agency.client.get("/api/v1/candidates")).json()["items"]
    assert len(listed) == 1
    other = await agency.client.post("/api/v1/candidates", json=candidate_body(), headers=key)
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["detail"]


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b"{not json", 400),
        (b"[1, 2]", 400),
        (b'{"first_name": "Ada"}', 422),
        (b'{"first_name": "Ada", "last_name": "L", "location": {"country": "Germany"}}', 422),
        (b'{"first_name": "Ada", "last_name": "L", "salary_expectation": 1}', 422),
    ],
)
async def test_bad_bodies_are_problems_not_500s(
    agency: Agency, content: bytes, status: int
) -> None:
    response = await agency.client.post(
        "/api/v1/candidates", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == status, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["status"] == status
    assert problem["title"]
    assert problem["detail"]
    assert problem["type"]
    if status == 422:
        assert problem["errors"]


async def test_agent_rule_violations_come_back_as_422(agency: Agency) -> None:
    response = await agency.client.post(
        "/api/v1/candidates", json=candidate_body(emails=["not-an-email"])
    )
    assert response.status_code == 422, response.text
    # Where, never what: a refusal is kept and shown, and must not hold the value.
    assert "emails[0]" in response.json()["detail"]
    assert "not-an-email" not in response.text


async def test_oversized_body_is_413(agency: Agency) -> None:
    body = candidate_body(headline="x" * 2_000_000)
    response = await agency.client.post("/api/v1/candidates", json=body)
    assert response.status_code == 413
    assert response.json()["status"] == 413


async def test_auth_is_required_and_viewers_cannot_write(system: System, viewer: Agency) -> None:
    async with httpx.AsyncClient(base_url=system.base_url) as anon:
        response = await anon.get("/api/v1/candidates")
        assert response.status_code == 401
        bad_login = await anon.post("/api/v1/auth/token", json={"username": "x", "password": "y"})
        assert bad_login.status_code == 401
    assert (await viewer.client.get("/api/v1/candidates")).status_code == 200
    write = await viewer.client.post("/api/v1/candidates", json=candidate_body())
    assert write.status_code == 403


async def test_unknown_candidate_and_bad_id_are_4xx(agency: Agency) -> None:
    assert (await agency.client.get(f"/api/v1/candidates/{uuid.uuid4()}")).status_code == 404
    assert (await agency.client.get("/api/v1/candidates/not-a-uuid")).status_code == 422
    bad_cursor = await agency.client.get("/api/v1/candidates", params={"cursor": "garbage!"})
    assert bad_cursor.status_code == 400


async def test_password_guessing_is_slowed_with_429(system: System) -> None:
    username = f"nobody-{uuid.uuid4().hex[:8]}"
    free = system.settings.login_free_failures_per_account
    async with httpx.AsyncClient(base_url=system.base_url) as anon:
        statuses = [
            (await anon.post("/api/v1/auth/token", data={"username": username, "password": "x"}))
            for _ in range(free + 2)
        ]
    assert [r.status_code for r in statuses[:free]] == [401] * free
    assert statuses[-1].status_code == 429
    assert int(statuses[-1].headers["Retry-After"]) > 0
    assert statuses[-1].json()["status"] == 429


async def test_patch_with_if_match_changes_the_candidate_everywhere(agency: Agency) -> None:
    created = await _create(agency)
    url = f"/api/v1/candidates/{created['id']}"
    marker = f"Kx{uuid.uuid4().hex[:8]}"
    response = await agency.client.patch(
        url,
        json={
            "headline": f"Engineering Manager {marker}",
            "emails": ["NEW.Address@Example.com"],
            "location": None,
        },
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert response.headers["ETag"] == '"2"'
    assert changed["version"] == 2
    assert changed["emails"] == ["new.address@example.com"]
    assert changed["location"] is None
    assert changed["first_name"] == created["first_name"]
    assert changed["skills"] == created["skills"]
    assert (await agency.client.get(url)).json() == changed
    assert "open" in _timing(response)

    async def found() -> list[Any]:
        r = await agency.client.get("/api/v1/search/candidates", params={"q": marker})
        return list(r.json()["items"])

    assert [c["id"] for c in await eventually(found, what="the new headline in search")] == [
        created["id"]
    ]
    # The old email is free again, the new one is taken.
    reuse = await agency.client.post(
        "/api/v1/candidates", json=candidate_body(emails=created["emails"])
    )
    assert reuse.status_code == 201
    taken = await agency.client.post(
        "/api/v1/candidates", json=candidate_body(emails=["new.address@example.com"])
    )
    assert taken.status_code == 409


async def test_patch_conflicts_and_mistakes(agency: Agency, other_agency: Agency) -> None:
    first = await _create(agency)
    second = await _create(agency)
    url = f"/api/v1/candidates/{first['id']}"
    stale = await agency.client.patch(url, json={"headline": "x"}, headers={"If-Match": '"7"'})
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 1
    clash = await agency.client.patch(url, json={"emails": second["emails"]})
    assert clash.status_code == 409
    assert clash.json()["duplicate_of"] == second["id"]
    cleared = await agency.client.patch(url, json={"first_name": None})
    assert cleared.status_code == 422
    bad_tag = await agency.client.patch(url, json={"headline": "x"}, headers={"If-Match": "v1"})
    assert bad_tag.status_code == 400
    missing = await agency.client.patch(f"/api/v1/candidates/{uuid.uuid4()}", json={"tags": []})
    assert missing.status_code == 404
    theirs = await other_agency.client.patch(url, json={"headline": "hijack"})
    assert theirs.status_code == 404
    assert (await agency.client.get(url)).json()["version"] == 1


async def test_refresh_token_and_me(system: System, agency: Agency) -> None:
    me = await agency.client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["tenant_id"] == str(agency.tenant_id)
    async with httpx.AsyncClient(base_url=system.base_url) as anon:
        login = await anon.post(
            "/api/v1/auth/token", data={"username": me.json()["username"], "password": PASSWORD}
        )
        assert login.status_code == 200
        tokens = login.json()
        assert tokens["token_type"] == "bearer"
        assert tokens["expires_in"] > 0
        refreshed = await anon.post(
            "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert refreshed.status_code == 200
        access = refreshed.json()["access_token"]
        again = await anon.get("/api/v1/me", headers={"Authorization": f"Bearer {access}"})
        assert again.json() == me.json()
        # An access token is not a refresh token.
        wrong = await anon.post("/api/v1/auth/refresh", json={"refresh_token": access})
        assert wrong.status_code == 401
