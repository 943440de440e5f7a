"""Subject access export: everything held about a person, for admins of their agency."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.e2e.conftest import Agency, System, _agency
from tests.e2e.helpers import candidate_body, move, open_requisition, post_json

pytestmark = pytest.mark.stack

RESUME = b"Ada Lovelace\nAnalytical engines, Python and Kafka.\n"


@pytest.fixture
async def admin(system: System) -> AsyncIterator[Agency]:
    async with _agency(system, role="admin") as made:
        yield made


@pytest.fixture
async def recruiter(system: System, admin: Agency) -> AsyncIterator[Agency]:
    async with _agency(system, role="recruiter", slug=admin.slug) as made:
        yield made


@pytest.fixture
async def other_admin(system: System) -> AsyncIterator[Agency]:
    async with _agency(system, role="admin") as made:
        yield made


async def _a_full_life(recruiter: Agency) -> dict[str, Any]:
    """A candidate with a resume, a pipeline moved to placed with an interview and its
    feedback, notes on them and on the submission, and a duplicate merged into them."""
    person = await post_json(recruiter, "/api/v1/candidates", candidate_body())
    cid = person["id"]
    uploaded = await recruiter.client.post(
        f"/api/v1/candidates/{cid}/documents", files={"file": ("cv.txt", RESUME, "text/plain")}
    )
    assert uploaded.status_code == 201, uploaded.text
    requisition = await open_requisition(recruiter, openings=1)
    submission = await post_json(
        recruiter,
        "/api/v1/submissions",
        {"candidate_id": cid, "requisition_id": requisition["id"]},
    )
    sid = submission["id"]
    await move(recruiter, sid, "screened")
    await move(recruiter, sid, "interviewing")
    interview = await post_json(
        recruiter,
        f"/api/v1/submissions/{sid}/interviews",
        {"scheduled_at": "2027-01-10T09:30:00Z", "kind": "video", "interviewers": ["Grace"]},
    )
    feedback = await post_json(
        recruiter,
        f"/api/v1/interviews/{interview['id']}/feedback",
        {"rating": 5, "recommendation": "strong_yes", "notes": "Sharp on engines."},
    )
    note = await post_json(
        recruiter,
        "/api/v1/notes",
        {"subject_type": "candidate", "subject_id": cid, "body": "Prefers remote work."},
    )
    submission_note = await post_json(
        recruiter,
        "/api/v1/notes",
        {"subject_type": "submission", "subject_id": sid, "body": "Client loved her."},
    )
    placed = await move(recruiter, sid, "placed")
    duplicate = await post_json(recruiter, "/api/v1/candidates", candidate_body(first_name="A."))
    await post_json(
        recruiter,
        f"/api/v1/candidates/{cid}/merge",
        {"duplicate_id": duplicate["id"]},
        200,
    )
    return {
        "id": cid,
        "document": uploaded.json(),
        "submission": sid,
        "history": [h["to"] for h in placed["history"]],
        "interview": interview["id"],
        "feedback": feedback["id"],
        "note": note["id"],
        "submission_note": submission_note["id"],
        "duplicate": duplicate["id"],
    }


async def test_the_export_holds_everything_about_the_person(
    admin: Agency, recruiter: Agency, other_admin: Agency
) -> None:
    life = await _a_full_life(recruiter)
    cid = life["id"]

    profile = (await admin.client.get(f"/api/v1/candidates/{cid}")).json()
    response = await admin.client.get(f"/api/v1/candidates/{cid}/export")
    assert response.status_code == 200, response.text
    export = response.json()
    assert export["format"] == "refactortrack.subject-access"
    assert export["format_version"] == 1
    assert export["exported_at"]
    assert export["candidate_id"] == cid
    assert export["profile"]["id"] == cid
    assert export["profile"] == profile
    assert "consent" in export

    [document] = export["documents"]
    assert document["id"] == life["document"]["id"]
    assert document["content_url"] == (
        f"/api/v1/candidates/{cid}/documents/{document['id']}/content"
    )
    assert document["content_base64"] is None
    downloaded = await admin.client.get(document["content_url"])
    assert downloaded.status_code == 200
    assert downloaded.content == RESUME
    assert downloaded.headers["content-type"].startswith("text/plain")
    assert "attachment" in downloaded.headers["content-disposition"]

    [submission] = export["submissions"]
    assert submission["id"] == life["submission"]
    assert [h["to"] for h in submission["history"]] == life["history"]
    assert submission["history"][-1]["to"] == "placed"
    [interview] = submission["interviews"]
    assert interview["id"] == life["interview"]
    assert [f["id"] for f in interview["feedback"]] == [life["feedback"]]
    assert interview["feedback"][0]["notes"] == "Sharp on engines."
    assert [n["id"] for n in submission["notes"]] == [life["submission_note"]]
    assert [n["id"] for n in export["notes"]] == [life["note"]]
    [placement] = export["placements"]
    assert placement["submission_id"] == life["submission"]
    [duplicate] = export["merged_duplicates"]
    assert duplicate["id"] == life["duplicate"]
    assert duplicate["merged_into"] == cid
    assert duplicate["first_name"] == "A."

    audit = export["audit"]
    seqs = [e["seq"] for e in audit]
    assert seqs == sorted(seqs)
    actions = {(e["action"], e["subject_type"]) for e in audit}
    assert {
        ("create", "candidate"),
        ("create", "document"),
        ("create", "submission"),
        ("update", "submission"),
        ("create", "interview"),
        ("create", "feedback"),
        ("create", "note"),
        ("merge", "candidate"),
        ("read", "candidate"),
        ("export", "candidate"),
    } <= actions
    assert any(e["subject_id"] == life["duplicate"] for e in audit)
    assert audit[-1]["action"] == "export"
    assert audit[-1]["detail"]["documents"] == "link"

    inline = await admin.client.get(
        f"/api/v1/candidates/{cid}/export", params={"documents": "inline"}
    )
    assert inline.status_code == 200, inline.text
    [with_file] = inline.json()["documents"]
    assert base64.b64decode(with_file["content_base64"]) == RESUME
    assert inline.json()["audit"][-1]["detail"]["documents"] == "inline"
    recorded = (await admin.client.get("/api/v1/audit", params={"subject_id": cid})).json()
    exports = [e for e in recorded["items"] if e["action"] == "export"]
    assert len(exports) == 2

    assert (
        await admin.client.get(f"/api/v1/candidates/{cid}/export", params={"documents": "all"})
    ).status_code == 422
    refused = await recruiter.client.get(f"/api/v1/candidates/{cid}/export")
    assert refused.status_code == 403
    assert refused.json()["permission"] == "candidates:export"
    assert (await other_admin.client.get(f"/api/v1/candidates/{cid}/export")).status_code == 404
    assert (
        await other_admin.client.get(document["content_url"])
    ).status_code == 404  # nor its files


async def test_an_erased_or_unknown_candidate_has_nothing_to_export(
    admin: Agency, recruiter: Agency
) -> None:
    cid = (await post_json(recruiter, "/api/v1/candidates", candidate_body()))["id"]
    assert (await admin.client.get(f"/api/v1/candidates/{cid}/export")).status_code == 200
    assert (await recruiter.client.delete(f"/api/v1/candidates/{cid}")).status_code == 204
    gone = await admin.client.get(f"/api/v1/candidates/{cid}/export")
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/problem+json"
    unknown = "00000000-0000-4000-8000-000000000000"
    assert (await admin.client.get(f"/api/v1/candidates/{unknown}/export")).status_code == 404
