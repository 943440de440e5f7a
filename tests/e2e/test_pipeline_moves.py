"""Every legal stage move through HTTP, the closed stages reopened, placements ended."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from domain.pipeline import FORWARD, legal_moves
from tests.e2e.conftest import Agency
from tests.e2e.helpers import candidate_body, move_body, open_requisition, post_json

pytestmark = pytest.mark.stack

ACTIVE = FORWARD[:-1]


async def _submission_at(agency: Agency, requisition_id: str, stage: str) -> str:
    candidate = await post_json(agency, "/api/v1/candidates", candidate_body())
    submission = await post_json(
        agency,
        "/api/v1/submissions",
        {"candidate_id": candidate["id"], "requisition_id": requisition_id},
    )
    if stage != "sourced":
        await post_json(
            agency, f"/api/v1/submissions/{submission['id']}/transitions", move_body(stage), 200
        )
    return str(submission["id"])


async def test_every_legal_move_from_every_active_stage(agency: Agency) -> None:
    pairs = [(stage, to) for stage in ACTIVE for to in legal_moves(stage)]
    assert len(pairs) == 33
    requisition = await open_requisition(agency, openings=len(pairs))
    semaphore = asyncio.Semaphore(8)

    async def walk(stage: str, to: str) -> tuple[str, str, int, Any]:
        async with semaphore:
            submission_id = await _submission_at(agency, requisition["id"], stage)
            url = f"/api/v1/submissions/{submission_id}/transitions"
            moved = await agency.client.post(url, json=move_body(to))
            body = moved.json()
            if moved.status_code == 200 and to in ("placed", "rejected", "withdrawn"):
                # A closed submission reopens to the stage it left.
                reopened = await agency.client.post(url, json={"to": "reopen"})
                body["reopened"] = reopened.json()
            return stage, to, moved.status_code, body

    for stage, to, status, body in await asyncio.gather(*(walk(s, t) for s, t in pairs)):
        assert status == 200, (stage, to, body)
        assert body["stage"] == to
        assert (body["history"][-1]["from"], body["history"][-1]["to"]) == (stage, to)
        assert body["history"][-1]["actor"]
        if "reopened" in body:
            assert body["reopened"]["stage"] == stage, (stage, to, body["reopened"])

    # Every placement was ended by its reopen; the requisition never filled.
    placements = (
        await agency.client.get(
            "/api/v1/placements", params={"requisition_id": requisition["id"], "limit": 200}
        )
    ).json()["items"]
    assert len(placements) == len(ACTIVE)
    assert {p["status"] for p in placements} == {"terminated"}
    assert {p["end_reason"] for p in placements} == {"submission reopened"}


@pytest.mark.parametrize(
    ("stage", "to"),
    [
        ("screened", "sourced"),
        ("offered", "client_review"),
        ("interviewing", "interviewing"),
        ("rejected", "submitted"),
        ("withdrawn", "withdrawn"),
        ("sourced", "reopen"),
    ],
)
async def test_illegal_moves_answer_409_with_the_legal_ones(
    agency: Agency, stage: str, to: str
) -> None:
    requisition = await open_requisition(agency, openings=1)
    submission_id = await _submission_at(agency, requisition["id"], stage)
    response = await agency.client.post(
        f"/api/v1/submissions/{submission_id}/transitions", json=move_body(to)
    )
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["legal"] == legal_moves(stage)
    unchanged = (await agency.client.get(f"/api/v1/submissions/{submission_id}")).json()
    assert unchanged["stage"] == stage


async def test_a_placement_completes_or_is_terminated_and_frees_the_candidate(
    agency: Agency, other_agency: Agency
) -> None:
    requisition = await open_requisition(agency, openings=2)
    for _ in range(2):
        await _submission_at(agency, requisition["id"], "placed")
    placements = (
        await agency.client.get("/api/v1/placements", params={"requisition_id": requisition["id"]})
    ).json()["items"]
    assert len(placements) == 2
    filled = (await agency.client.get(f"/api/v1/requisitions/{requisition['id']}")).json()
    assert filled["status"] == "filled"

    first, second = placements
    url = f"/api/v1/placements/{first['id']}"
    assert (await other_agency.client.patch(url, json={"status": "completed"})).status_code == 404
    stale = await agency.client.patch(
        url, json={"status": "completed"}, headers={"If-Match": '"7"'}
    )
    assert stale.status_code == 412
    early = await agency.client.patch(url, json={"end_date": "2026-12-01"})
    assert early.status_code == 422
    assert "start_date" in early.json()["detail"]
    assert (await agency.client.patch(url, json={"status": None})).status_code == 422

    completed = await agency.client.patch(
        url, json={"status": "completed", "end_date": "2027-06-30"}, headers={"If-Match": '"1"'}
    )
    assert completed.status_code == 200, completed.text
    assert completed.json()["status"] == "completed"
    assert completed.json()["end_date"] == "2027-06-30"
    assert completed.headers["ETag"] == '"2"'
    again = await agency.client.patch(url, json={"status": "active"})
    assert again.status_code == 409
    assert "reopen" in again.json()["detail"]

    terminated = await agency.client.patch(
        f"/api/v1/placements/{second['id']}",
        json={"status": "terminated", "end_reason": "client budget cut"},
    )
    assert terminated.status_code == 200, terminated.text
    assert terminated.json()["end_reason"] == "client budget cut"
    assert terminated.json()["end_date"]  # ended today

    for placement in (first, second):
        person = (await agency.client.get(f"/api/v1/candidates/{placement['candidate_id']}")).json()
        assert person["status"] == "active"
    ended = (
        await agency.client.get(
            "/api/v1/placements",
            params={"requisition_id": requisition["id"], "status": "completed"},
        )
    ).json()["items"]
    assert [p["id"] for p in ended] == [first["id"]]
