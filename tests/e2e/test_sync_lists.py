"""Every list's sync parameters against the running system: `sort` in each order,
`created_since`/`updated_since`, `ids`, the `Link` to the next page followed to the end,
and each bad value refused naming its field."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from tests.e2e.conftest import Agency, System, _agency
from tests.e2e.helpers import candidate_body, move, post_json

SORTS = ("created_at", "-created_at", "updated_at", "-updated_at")
LINK = re.compile(r'^<([^>]+)>; rel="next"$')


@dataclass(frozen=True)
class ListRoute:
    path: str
    params: dict[str, str]
    created: str = "created_at"
    updated: str = "updated_at"
    id: str = "id"
    by_seq: bool = False
    """Ordered by `seq` whatever the sort (the audit log's chain)."""


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def _follow(client: httpx.AsyncClient, path: str, params: dict[str, str]) -> list[Any]:
    """Every item of a list, two at a time, by following `Link` to the end; each page's
    `next_cursor` and `Link` agree."""
    response = await client.get(path, params={**params, "limit": "2"})
    items: list[Any] = []
    for _ in range(200):
        assert response.status_code == 200, (path, params, response.text)
        body = response.json()
        items.extend(body["items"])
        link = response.headers.get("link")
        if body["next_cursor"] is None:
            assert link is None, (path, link)
            return items
        assert len(body["items"]) == 2
        found = LINK.match(link or "")
        assert found, (path, link)
        url = httpx.URL(found.group(1))
        assert url.params["cursor"] == body["next_cursor"]
        assert all(url.params.get(k) == v for k, v in params.items()), (url, params)
        response = await client.get(url)
    raise AssertionError(f"{path} did not end")


def _ordered(route: ListRoute, items: list[Any], sort: str) -> None:
    if route.by_seq:
        seqs = [i["seq"] for i in items]
        assert seqs == sorted(seqs, reverse=sort.startswith("-")), (route.path, sort)
        return
    field = route.created if sort.endswith("created_at") else route.updated
    keys = [(_time(i[field]), uuid.UUID(i[route.id])) for i in items]
    assert keys == sorted(keys, reverse=sort.startswith("-")), (route.path, sort)


async def _check_list(client: httpx.AsyncClient, route: ListRoute) -> None:
    everything = await _follow(client, route.path, route.params)
    ids = [i[route.id] for i in everything]
    assert len(ids) >= 3, (route.path, len(ids))
    assert len(set(ids)) == len(ids)
    for sort in SORTS:
        listed = await _follow(client, route.path, {**route.params, "sort": sort})
        assert sorted(i[route.id] for i in listed) == sorted(ids), (route.path, sort)
        _ordered(route, listed, sort)

    # The since filters: at or after the middle record's time.
    for param, field in (("created_since", route.created), ("updated_since", route.updated)):
        middle = sorted(_time(i[field]) for i in everything)[len(everything) // 2]
        since = await _follow(
            client, route.path, {**route.params, param: middle.isoformat().replace("+00:00", "Z")}
        )
        expected = {i[route.id] for i in everything if _time(i[field]) >= middle}
        assert expected
        assert {i[route.id] for i in since} == expected, (route.path, param)

    # ids: these and only these, an unknown one left out.
    chosen = [ids[0], ids[-1], str(uuid.uuid4())]
    picked = await _follow(client, route.path, {**route.params, "ids": ",".join(chosen)})
    assert sorted(i[route.id] for i in picked) == sorted(chosen[:2]), route.path


async def _check_refusals(client: httpx.AsyncClient, route: ListRoute) -> None:
    bad: list[tuple[dict[str, str], str]] = [
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"updated_since": "2026-11-29T10:00:00"}, "updated_since"),  # no zone
        ({"created_since": "2026-11-29"}, "created_since"),
        ({"created_since": "1764410400"}, "created_since"),
        ({"sort": "name"}, "sort"),
        ({"sort": "created"}, "sort"),
        ({"ids": ",".join(str(uuid.uuid4()) for _ in range(201))}, "ids"),
        ({"ids": f"{uuid.uuid4()},not-a-uuid"}, "ids"),
        ({"limit": "201"}, "limit"),
    ]
    for params, field in bad:
        response = await client.get(route.path, params={**route.params, **params})
        assert response.status_code == 422, (route.path, params, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in response.json()["errors"], (route.path, params, response.text)

    # A cursor keeps the sort it was made for.
    first = await client.get(
        route.path, params={**route.params, "limit": "1", "sort": "updated_at"}
    )
    cursor = first.json()["next_cursor"]
    assert cursor, route.path
    for other in ("created_at", "-updated_at", None):
        params = {**route.params, "cursor": cursor, **({"sort": other} if other else {})}
        response = await client.get(route.path, params=params)
        assert response.status_code == 400, (route.path, other, response.text)
        assert response.json()["type"].endswith("/bad_cursor")


async def _records(agency: Agency) -> list[ListRoute]:
    """Three or more of everything a list answers, and the list routes to read them."""
    post = agency.client.post
    candidates = [await post_json(agency, "/api/v1/candidates", candidate_body()) for _ in range(3)]
    clients = [
        await post_json(agency, "/api/v1/clients", {"name": f"Client {n}", "status": "active"})
        for n in range(3)
    ]
    client_id = clients[0]["id"]
    for n in range(3):
        await post_json(
            agency,
            f"/api/v1/clients/{client_id}/contacts",
            {"first_name": "Grace", "last_name": f"H{n}"},
        )
    requisitions = [
        await post_json(
            agency,
            "/api/v1/requisitions",
            {
                "client_id": client_id,
                "title": f"Engineer {n}",
                "openings": 3,
                "employment_type": "contract",
            },
        )
        for n in range(3)
    ]
    submissions = [
        await post_json(
            agency,
            "/api/v1/submissions",
            {"candidate_id": c["id"], "requisition_id": requisitions[0]["id"]},
        )
        for c in candidates
    ]
    first = submissions[0]["id"]
    interviews = [
        await post_json(
            agency,
            f"/api/v1/submissions/{first}/interviews",
            {"scheduled_at": f"2027-01-1{n}T09:00:00Z", "kind": "video"},
        )
        for n in (3, 1, 2)
    ]
    interview_id = interviews[0]["id"]
    for rating in (3, 4, 5):
        await post_json(
            agency,
            f"/api/v1/interviews/{interview_id}/feedback",
            {"rating": rating, "recommendation": "yes"},
        )
    subject = candidates[0]["id"]
    for n in range(3):
        await post_json(
            agency,
            "/api/v1/notes",
            {
                "subject_type": "candidate",
                "subject_id": subject,
                "kind": "general",
                "body": f"n{n}",
            },
        )
    for n in range(3):
        uploaded = await post(
            f"/api/v1/candidates/{subject}/documents",
            files={"file": (f"cv{n}.txt", f"Python and Kafka, take {n}".encode(), "text/plain")},
        )
        assert uploaded.status_code == 201, uploaded.text
    for n in range(3):
        await post_json(agency, "/api/v1/saved-searches", {"name": f"s{n}", "q": f"python{n}"})
    for submission in submissions:
        await move(agency, submission["id"], "placed")
    # Change the oldest candidate, so the newest by `updated_at` is not the newest created.
    patched = await agency.client.patch(
        f"/api/v1/candidates/{candidates[0]['id']}", json={"headline": "Principal Engineer"}
    )
    assert patched.status_code == 200, patched.text
    # Webhooks (nothing they follow is published here) and three test deliveries to the
    # gateway itself, whose 404 fails each at once without disabling the webhook (which
    # would change it while the test reads it).
    receiver = str(agency.client.base_url).rstrip("/")
    hooks = [
        await post_json(
            agency,
            "/api/v1/webhooks",
            {"url": f"{receiver}/no-such-hook-{n}", "events": ["webhook.disabled"]},
        )
        for n in range(3)
    ]
    for _ in range(3):
        tested = await post(f"/api/v1/webhooks/{hooks[0]['id']}/test")
        assert tested.status_code == 202, tested.text
    return [
        ListRoute("/api/v1/candidates", {}),
        ListRoute("/api/v1/clients", {}),
        ListRoute(f"/api/v1/clients/{client_id}/contacts", {}),
        ListRoute("/api/v1/requisitions", {}),
        ListRoute("/api/v1/submissions", {}),
        ListRoute("/api/v1/placements", {}),
        ListRoute(f"/api/v1/submissions/{first}/interviews", {}),
        ListRoute(f"/api/v1/interviews/{interview_id}/feedback", {}),
        ListRoute("/api/v1/notes", {"subject_id": subject}),
        ListRoute(f"/api/v1/candidates/{subject}/documents", {}, updated="created_at"),
        ListRoute("/api/v1/saved-searches", {}),
        ListRoute("/api/v1/webhooks", {}),
        ListRoute(f"/api/v1/webhooks/{hooks[0]['id']}/deliveries", {}, updated="created_at"),
    ]


async def test_every_list_takes_the_sync_parameters(system: System) -> None:
    async with _agency(system, role="admin") as agency:
        routes = await _records(agency)
        for route in routes:
            await _check_list(agency.client, route)
            await _check_refusals(agency.client, route)

        # The candidate changed last is first by `-updated_at`, last by `-created_at`.
        newest_change = (
            await agency.client.get("/api/v1/candidates", params={"sort": "-updated_at"})
        ).json()["items"]
        newest = (await agency.client.get("/api/v1/candidates")).json()["items"]
        assert newest_change[0]["headline"] == "Principal Engineer"
        assert newest[-1]["id"] == newest_change[0]["id"]

        # The default orders stay each list's own: interviews as they take place.
        first_submission = routes[6].path
        interviews = (await agency.client.get(first_submission)).json()["items"]
        assert [i["scheduled_at"][:10] for i in interviews] == [
            "2027-01-11",
            "2027-01-12",
            "2027-01-13",
        ]


async def test_the_audit_log_takes_the_sync_parameters(system: System) -> None:
    async with _agency(system, role="admin") as agency:
        for _ in range(4):  # each list read is an entry of the log
            assert (await agency.client.get("/api/v1/candidates")).status_code == 200
        route = ListRoute("/api/v1/audit", {}, created="at", updated="at", by_seq=True)
        # Reading the audit log is not itself recorded, so the set holds still meanwhile.
        await _check_list(agency.client, route)
        await _check_refusals(agency.client, route)


async def test_an_empty_list_and_the_saved_searches_alerts(system: System) -> None:
    async with _agency(system) as agency:
        saved = await post_json(agency, "/api/v1/saved-searches", {"name": "x", "q": "cobol"})
        path = f"/api/v1/saved-searches/{saved['id']}/matches"
        for sort in SORTS:
            response = await agency.client.get(
                path, params={"sort": sort, "ids": str(uuid.uuid4())}
            )
            assert response.status_code == 200, response.text
            assert response.json() == {"items": [], "next_cursor": None}
            assert "link" not in response.headers
        refused = await agency.client.get(path, params={"updated_since": "last week"})
        assert refused.status_code == 422
        assert "updated_since" in refused.json()["errors"]
