"""Erasure reaches every copy: a person who went through everything an agency does with
people, erased, is then not readable in any store, topic or log of the system."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.jobs.accounts import create_user, erase_user
from app.jobs.imports.runner import CandidateImport
from app.jobs.integrations import create_integration, revoke_integration
from core.clock import utcnow
from stores.bundle import Stores
from tests.e2e.conftest import LOG_DIR, PASSWORD, Agency, System, login
from tests.e2e.helpers import (
    candidate_body,
    eventually,
    move,
    open_requisition,
    post_json,
    send_as_integration,
)
from tests.e2e.traces import in_postgres, readable_copies
from topics.envelopes import Actor, CommandEnvelope

pytestmark = pytest.mark.stack


async def _through_an_integration_to_the_dlq(
    system: System, agency: Agency, candidate_id: str, headline: str
) -> None:
    """An integration that may only read sends a change about the person: the gate refuses
    it into its DLQ, where it is kept for an operator."""
    made = await create_integration(
        system.settings,
        tenant=agency.slug,
        name="reader-only",
        role="recruiter",
        scopes=["candidates:read"],
    )
    try:
        command = CommandEnvelope(
            command_id=uuid.uuid4(),
            type="candidate.update",
            tenant_id=agency.tenant_id,
            actor=Actor(id="job-board", kind="integration"),
            issued_at=utcnow(),
            payload={"candidate_id": candidate_id, "changes": {"headline": headline}},
        )
        await send_as_integration(made, command, key=candidate_id)
        # Refused (and in the DLQ) before the integration is revoked: a message of an
        # integration that is gone would be dropped, not kept sealed, and the test would
        # not see the sealed copy it is about.
        stores = Stores(system.settings)
        await stores.start()
        try:

            async def refused() -> bool:
                outcome = await stores.redis.get_outcome(agency.tenant_id, command.command_id)
                return outcome is not None and outcome.status == "rejected"

            await eventually(refused, what="the integration's change refused", timeout=60)
        finally:
            await stores.stop()
    finally:
        await revoke_integration(system.settings, uuid.UUID(made.integration_id))


async def test_an_erased_person_is_readable_nowhere(
    system: System, agency: Agency, tmp_path: Path
) -> None:
    u = uuid.uuid4().hex[:8]
    first, last = f"Zelda{u}", f"Quixote{u}"
    email, other_email = f"zq.{u}@example.org", f"zelda.q.{u}@example.net"
    phone = "+1415555" + str(int(u, 16) % 10_000).zfill(4)
    needles = [first, last, email, other_email, phone, phone[2:]]

    # Imported from a file.
    path = tmp_path / "people.csv"
    path.write_text(f"first_name,last_name,email,phone\n{first},{last},{email},{phone}\n")
    summary = await CandidateImport(system.settings, agency.slug).run(path)
    assert summary.created == 1, summary.problems
    cid = str(summary.sample_ids[0])

    # Rejected as a duplicate of themself.
    twin = await agency.client.post(
        "/api/v1/candidates", json=candidate_body(first_name=first, last_name=last, emails=[email])
    )
    assert twin.status_code == 409, twin.text

    # Entered twice under another address, and merged.
    duplicate = await post_json(
        agency,
        "/api/v1/candidates",
        candidate_body(first_name=first, last_name=last, emails=[other_email]),
    )
    merged = await agency.client.post(
        f"/api/v1/candidates/{cid}/merge", json={"duplicate_id": duplicate["id"]}
    )
    assert merged.status_code == 200, merged.text

    # A resume naming them.
    resume = f"{first} {last}\n{email}\n{phone}\nPython, Kafka".encode()
    uploaded = await agency.client.post(
        f"/api/v1/candidates/{cid}/documents",
        files={"file": ("cv.txt", resume, "text/plain")},
    )
    assert uploaded.status_code == 201, uploaded.text

    # Noted, submitted, interviewed, placed, and the placement ended with a reason.
    await post_json(
        agency,
        "/api/v1/notes",
        {"subject_type": "candidate", "subject_id": cid, "body": f"Call {first} on {phone}"},
    )
    requisition = await open_requisition(agency, openings=1)
    submission = await post_json(
        agency, "/api/v1/submissions", {"candidate_id": cid, "requisition_id": requisition["id"]}
    )
    sid = submission["id"]
    await post_json(
        agency,
        "/api/v1/notes",
        {"subject_type": "submission", "subject_id": sid, "body": f"{first} prefers remote"},
    )
    await post_json(
        agency,
        f"/api/v1/submissions/{sid}/transitions",
        {"to": "screened", "reason": f"{first} {last} screened well"},
        200,
    )
    await move(agency, sid, "interviewing")
    interview = await post_json(
        agency,
        f"/api/v1/submissions/{sid}/interviews",
        {"scheduled_at": "2026-12-01T10:00:00Z", "kind": "video", "interviewers": ["Sam"]},
    )
    await post_json(
        agency,
        f"/api/v1/interviews/{interview['id']}/feedback",
        {"rating": 5, "recommendation": "strong_yes", "notes": f"{first} knows Kafka"},
    )
    await move(agency, sid, "placed")
    placements = await agency.client.get("/api/v1/placements", params={"candidate_id": cid})
    placement = placements.json()["items"][0]
    ended = await agency.client.patch(
        f"/api/v1/placements/{placement['id']}",
        json={"status": "terminated", "end_reason": f"{first} moved to {email}"},
    )
    assert ended.status_code == 200, ended.text

    # Sent to a DLQ.
    await _through_an_integration_to_the_dlq(system, agency, cid, f"{first} at {email}")

    async def searchable() -> list[Any]:
        found = await agency.client.get("/api/v1/search/candidates", params={"q": last})
        return list(found.json()["items"])

    await eventually(searchable, what="the person in search", timeout=30)

    stores = Stores(system.settings)
    await stores.start()
    try:
        # The search works: before erasure, the stores do hold the person.
        assert await in_postgres(stores, [last])

        erased = await agency.client.delete(f"/api/v1/candidates/{cid}")
        assert erased.status_code == 204, erased.text
        assert (await agency.client.get(f"/api/v1/candidates/{cid}")).status_code == 404
        assert (await agency.client.get(f"/api/v1/candidates/{duplicate['id']}")).status_code == 404

        async def gone_from_search() -> bool:
            return not await searchable()

        await eventually(gone_from_search, what="the person gone from search", timeout=30)
        await asyncio.sleep(2)  # the indexers and analytics have read the erasure

        copies = await readable_copies(stores, system.settings, LOG_DIR, needles)
    finally:
        await stores.stop()
    assert copies == []


async def test_a_client_contact_can_be_erased_too(
    system: System, agency: Agency, other_agency: Agency, viewer: Agency
) -> None:
    u = uuid.uuid4().hex[:8]
    first, last, email = f"Mona{u}", f"Contact{u}", f"mona.{u}@globex.example"
    client = await post_json(agency, "/api/v1/clients", {"name": f"Globex {u}"})
    contact = await post_json(
        agency,
        f"/api/v1/clients/{client['id']}/contacts",
        {"first_name": first, "last_name": last, "email": email, "role": "hiring_manager"},
    )
    await post_json(
        agency,
        "/api/v1/notes",
        {"subject_type": "contact", "subject_id": contact["id"], "body": f"{first} likes golf"},
    )
    requisition = await post_json(
        agency,
        "/api/v1/requisitions",
        {"client_id": client["id"], "contact_id": contact["id"], "title": "Engineer"},
    )
    url = f"/api/v1/contacts/{contact['id']}"
    assert (await other_agency.client.delete(url)).status_code == 404
    assert (await viewer.client.delete(url)).status_code == 403

    erased = await agency.client.delete(url)
    assert erased.status_code == 204, erased.text
    assert (await agency.client.get(url)).status_code == 404
    kept = (await agency.client.get(f"/api/v1/requisitions/{requisition['id']}")).json()
    assert kept["contact_id"] is None

    stores = Stores(system.settings)
    await stores.start()
    try:
        copies = await readable_copies(stores, system.settings, LOG_DIR, [first, last, email])
    finally:
        await stores.stop()
    assert copies == []


async def test_a_user_can_be_erased_and_can_no_longer_log_in(
    system: System, agency: Agency
) -> None:
    u = uuid.uuid4().hex[:8]
    username = f"sam.{u}@agency.example"
    _, user_id = await create_user(
        system.settings, tenant=agency.slug, username=username, password=PASSWORD, role="viewer"
    )
    token = await login(system.base_url, username)

    assert await erase_user(system.settings, username) == user_id
    assert await erase_user(system.settings, username) is None

    async with httpx.AsyncClient(base_url=system.base_url) as anon:
        again = await anon.post(
            "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
        )
        assert again.status_code == 401

        async def token_void() -> bool:
            used = await anon.get(
                "/api/v1/candidates", headers={"Authorization": f"Bearer {token}"}
            )
            return used.status_code == 401

        await eventually(token_void, what="the erased user's token refused")
    stores = Stores(system.settings)
    await stores.start()
    try:
        assert await in_postgres(stores, [username]) == []
    finally:
        await stores.stop()
