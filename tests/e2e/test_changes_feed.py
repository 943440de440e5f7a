"""The changes feed as an outside system polls it: every change of the agency in order,
with versions, erasures without the person, resumable from a cursor, filtered by type,
and nothing of another agency's."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Agency
from tests.e2e.helpers import candidate_body, eventually, move, open_requisition, post_json

FEED = "/api/v1/changes"


async def _read(agency: Agency, cursor: str | None, **params: Any) -> tuple[list[Any], str]:
    """Every change after `cursor`, page after page, and the cursor to resume from."""
    items: list[Any] = []
    while True:
        response = await agency.client.get(
            FEED, params={"limit": 3, **params, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["next_cursor"], body  # always given, even on an empty page
        assert 'rel="next"' in response.headers["link"]
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if len(body["items"]) < 3:
            return items, cursor


async def _until(agency: Agency, cursor: str | None, *types: str) -> Any:
    """What the feed holds after `cursor` once each of `types` is in it (the agent records
    events as the worker emits them, topic by topic)."""

    async def probe() -> Any:
        items, _ = await _read(agency, cursor)
        return items if set(types) <= {i["type"] for i in items} else None

    return await eventually(probe, timeout=30, what=f"{', '.join(types)} in the feed")


async def test_the_feed_tells_what_changed_in_order(agency: Agency, other_agency: Agency) -> None:
    empty, start = await _read(agency, None)
    assert empty == []

    body = candidate_body()
    candidate = await post_json(agency, "/api/v1/candidates", body)
    patched = await agency.client.patch(
        f"/api/v1/candidates/{candidate['id']}", json={"headline": "Principal Engineer"}
    )
    assert patched.status_code == 200, patched.text
    first = await _until(agency, start, "candidate.created", "candidate.updated")
    _, middle = await _read(agency, start)

    requisition = await open_requisition(agency, 1)
    submission = await post_json(
        agency,
        "/api/v1/submissions",
        {"candidate_id": candidate["id"], "requisition_id": requisition["id"]},
    )
    await move(agency, submission["id"], "screened")
    erased = await agency.client.delete(f"/api/v1/candidates/{candidate['id']}")
    assert erased.status_code == 204, erased.text

    everything = await _until(
        agency,
        start,
        "client.created",
        "requisition.created",
        "submission.created",
        "submission.stage_changed",
        "candidate.erased",
    )
    sequences = [i["sequence"] for i in everything]
    assert sequences == sorted(sequences)
    assert len(set(sequences)) == len(sequences)
    assert {i["id"] for i in first} <= {i["id"] for i in everything}
    for item in everything:
        assert set(item) == {
            "id",
            "sequence",
            "type",
            "resource_type",
            "resource_id",
            "version",
            "occurred_at",
            "recorded_at",
        }
        assert item["resource_type"] == item["type"].split(".")[0]

    # The candidate's life, in order, its versions growing; the erasure is the last.
    person = [(i["type"], i["version"]) for i in everything if i["resource_id"] == candidate["id"]]
    assert person == [("candidate.created", 1), ("candidate.updated", 2), ("candidate.erased", 3)]
    moves = [(i["type"], i["version"]) for i in everything if i["resource_id"] == submission["id"]]
    assert moves == [("submission.created", 1), ("submission.stage_changed", 2)]
    kinds = {i["type"] for i in everything}
    assert {"client.created", "requisition.created"} <= kinds

    # No personal data: the feed never held any, and the erasure names only the id.
    raw = (await agency.client.get(FEED, params={"limit": 200})).text
    # (Not the first name: "Ada" may well be part of some id's hex digits.)
    for value in (body["last_name"], body["emails"][0].lower(), "Principal"):
        assert value.lower() not in raw.lower()

    # Resuming from a cursor gives only what came after it.
    later, resume = await _read(agency, middle)
    assert [i["id"] for i in later] == [
        i["id"] for i in everything if i["sequence"] > max(j["sequence"] for j in first)
    ]
    assert "candidate.created" not in {i["type"] for i in later}
    # Up to date: an empty page, and a cursor to keep polling with.
    nothing = await agency.client.get(FEED, params={"cursor": resume})
    assert nothing.json() == {"items": [], "next_cursor": resume}

    # `types`: event types and kinds of record, repeated or comma-separated.
    people, _ = await _read(agency, None, types="candidate.*")
    assert [i["type"] for i in people] == [t for t, _ in person]
    stages, _ = await _read(agency, None, types=["submission.stage_changed", "client.*"])
    assert {i["type"] for i in stages} == {"submission.stage_changed", "client.created"}
    none_yet, skipped_to = await _read(agency, None, types="placement.*")
    assert none_yet == []
    assert skipped_to == resume  # a filtered poll keeps its place too

    # Another agency sees none of it, whatever cursor it sends.
    theirs, _ = await _read(other_agency, None)
    assert theirs == []
    theirs, _ = await _read(other_agency, start)
    assert theirs == []


async def test_bad_feed_parameters_are_refused(agency: Agency, viewer: Agency) -> None:
    assert (await viewer.client.get(FEED)).status_code == 200  # any role that reads
    unknown = await agency.client.get(FEED, params={"types": "candidate.teleported"})
    assert unknown.status_code == 422
    assert "types" in unknown.json()["errors"]
    for cursor in ("garbage!", "WyJjcmVhdGVkX2F0IiwxLCJ4Il0"):
        forged = await agency.client.get(FEED, params={"cursor": cursor})
        assert forged.status_code == 400, forged.text
        assert forged.json()["type"].endswith("/bad_cursor")
    too_many = await agency.client.get(FEED, params={"limit": 201})
    assert too_many.status_code == 422
