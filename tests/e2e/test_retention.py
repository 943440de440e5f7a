"""Consent with an expiry, the agency's retention policy, and `refactortrack retention run`
against the running system: due candidates are erased through `candidate.erase`, the
others stay, and a second run finds nothing.

Months cannot be waited out: the test moves its own candidates' activity into the past
with SQL on the run's scratch database, as time would have.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from app.jobs.retention import run_retention
from stores.bundle import Stores
from tests.e2e.conftest import ROOT, Agency, System, _agency
from tests.e2e.helpers import candidate_body, eventually, move, open_requisition, post_json

pytestmark = pytest.mark.stack

CLI = str(Path(sys.executable).with_name("refactortrack"))
LONG_AGO = datetime(2023, 3, 1, 9, 0, tzinfo=UTC)
CONSENT_EXPIRED = {
    "given_at": "2022-01-01T00:00:00Z",
    "basis": "consent",
    "expires_at": "2023-01-01T00:00:00Z",
}
CONSENT_VALID = {
    "given_at": "2022-01-01T00:00:00Z",
    "basis": "consent",
    "expires_at": "2099-01-01T00:00:00Z",
}


async def _cli(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        CLI, *args, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=180)
    return process.returncode or 0, stdout.decode(), stderr.decode()


async def _create(agency: Agency, **overrides: Any) -> dict[str, Any]:
    created: dict[str, Any] = await post_json(
        agency, "/api/v1/candidates", candidate_body(**overrides)
    )
    return created


async def _submit(agency: Agency, candidate_id: str, requisition_id: str) -> str:
    body = {"candidate_id": candidate_id, "requisition_id": requisition_id}
    submission = await post_json(agency, "/api/v1/submissions", body)
    return str(submission["id"])


async def _backdate(system: System, candidate_ids: Sequence[str], at: datetime) -> None:
    """Everything these candidates did happened at `at`: their records, submissions,
    notes (on them and their submissions) and placements' changes."""
    ids = [uuid.UUID(c) for c in candidate_ids]
    stores = Stores(system.settings)
    await stores.db.start()
    try:
        async with stores.db.transaction() as conn:
            params = {"ids": ids, "at": at}
            await conn.execute(
                text(
                    "UPDATE notes SET created_at = :at, updated_at = :at WHERE subject_id IN"
                    " (SELECT id FROM submissions WHERE candidate_id = ANY(:ids))"
                    " OR subject_id = ANY(:ids)"
                ),
                params,
            )
            await conn.execute(
                text(
                    "UPDATE placements SET created_at = :at, updated_at = :at"
                    " WHERE candidate_id = ANY(:ids)"
                ),
                params,
            )
            for table in ("submissions", "candidates"):
                column = "candidate_id" if table == "submissions" else "id"
                await conn.execute(
                    text(
                        f"UPDATE {table} SET created_at = :at, updated_at = :at"
                        f" WHERE {column} = ANY(:ids)"
                    ),
                    params,
                )
    finally:
        await stores.db.stop()


async def _status(agency: Agency, candidate_id: str) -> int:
    return (await agency.client.get(f"/api/v1/candidates/{candidate_id}")).status_code


async def _found_in_search(agency: Agency, last_name: str) -> bool:
    found = await agency.client.get("/api/v1/search/candidates", params={"q": last_name})
    assert found.status_code == 200, found.text
    return bool(found.json()["items"])


async def test_consent_with_an_expiry_is_stored_returned_and_checked(agency: Agency) -> None:
    created = await _create(agency, consent=CONSENT_VALID)
    url = f"/api/v1/candidates/{created['id']}"
    assert created["consent"] == {**CONSENT_VALID, "expires_at": "2099-01-01T00:00:00Z"}
    assert (await agency.client.get(url)).json()["consent"]["expires_at"] == "2099-01-01T00:00:00Z"

    # PATCH replaces the consent as a whole; an offset is kept as the UTC instant.
    renewed = {"given_at": "2026-01-01T10:00:00+02:00", "basis": "consent"}
    patched = await agency.client.patch(url, json={"consent": {**renewed, "expires_at": None}})
    assert patched.status_code == 200, patched.text
    assert patched.json()["consent"] == {
        "given_at": "2026-01-01T08:00:00Z",
        "basis": "consent",
        "expires_at": None,
    }

    backwards = {**CONSENT_VALID, "expires_at": "2021-01-01T00:00:00Z"}
    for response in (
        await agency.client.post("/api/v1/candidates", json=candidate_body(consent=backwards)),
        await agency.client.patch(url, json={"consent": backwards}),
    ):
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "expires_at must be after" in json.dumps(response.json()["errors"])
    unknown = await agency.client.patch(url, json={"consent": {**CONSENT_VALID, "basis": "vibes"}})
    assert unknown.status_code == 422
    assert "consent.basis" in unknown.json()["errors"]


async def test_the_policy_is_set_and_shown_by_admins_of_each_agency_only(system: System) -> None:
    async with (
        _agency(system, role="admin") as admin,
        _agency(system, role="admin") as other_admin,
        _agency(system, role="recruiter", slug=admin.slug) as recruiter,
        _agency(system, role="viewer", slug=admin.slug) as viewer,
    ):
        url = "/api/v1/retention-policy"
        off = (await admin.client.get(url)).json()
        assert off == {
            "inactive_months": None,
            "enabled": False,
            "updated_at": None,
            "updated_by": None,
        }

        put = await admin.client.put(url, json={"inactive_months": 18})
        assert put.status_code == 200, put.text
        assert put.json()["inactive_months"] == 18
        assert put.json()["enabled"] is True
        assert put.json()["updated_by"].startswith("user:")
        assert (await admin.client.get(url)).json() == put.json()

        for body in (
            {"inactive_months": 0},
            {"inactive_months": -3},
            {"inactive_months": 601},
            {"inactive_months": "12"},
            {"inactive_months": 12.5},
            {"inactive_months": True},
            {},
            {"inactive_months": 12, "keep_forever": True},
        ):
            refused = await admin.client.put(url, json=body)
            assert refused.status_code == 422, (body, refused.text)
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.json()["errors"], body
        assert (await admin.client.put(url, json=[12])).status_code == 400
        assert (await admin.client.get(url)).json()["inactive_months"] == 18

        # Another agency has its own policy, off until its admin sets it.
        assert (await other_admin.client.get(url)).json()["inactive_months"] is None
        assert (await other_admin.client.put(url, json={"inactive_months": 6})).status_code == 200
        assert (await admin.client.get(url)).json()["inactive_months"] == 18

        for member in (recruiter, viewer):
            for response in (
                await member.client.get(url),
                await member.client.put(url, json={"inactive_months": 1}),
            ):
                assert response.status_code == 403
                assert response.json()["permission"] == "retention:configure"

        turned_off = await admin.client.put(url, json={"inactive_months": None})
        assert turned_off.status_code == 200
        assert turned_off.json()["enabled"] is False


async def test_a_retention_run_erases_exactly_the_due_candidates(system: System) -> None:
    async with (
        _agency(system, role="admin") as agency,
        _agency(system, role="admin") as other,
    ):
        requisition = await open_requisition(agency, 5)
        rid = requisition["id"]

        due_plain = await _create(agency)
        due_expired = await _create(agency, consent=CONSENT_EXPIRED)
        due_interest = await _create(
            agency,
            consent={"given_at": "2022-01-01T00:00:00Z", "basis": "legitimate_interest"},
        )
        rejected = await _submit(agency, due_interest["id"], rid)
        await move(agency, rejected, "rejected")
        await post_json(
            agency,
            "/api/v1/notes",
            {"subject_type": "candidate", "subject_id": due_interest["id"], "body": "not now"},
        )
        due_placed = await _create(agency)
        ended = await _submit(agency, due_placed["id"], rid)
        await post_json(
            agency,
            f"/api/v1/submissions/{ended}/transitions",
            {
                "to": "placed",
                "start_date": "2022-10-03",
                "bill_rate": "100",
                "pay_rate": "75",
                "currency": "EUR",
            },
            200,
        )
        [placement] = (
            await agency.client.get("/api/v1/placements", params={"candidate_id": due_placed["id"]})
        ).json()["items"]
        done = await agency.client.patch(
            f"/api/v1/placements/{placement['id']}",
            json={"status": "completed", "end_date": "2023-06-30"},
        )
        assert done.status_code == 200, done.text

        kept_recent = await _create(agency)
        kept_consent = await _create(agency, consent=CONSENT_VALID)
        kept_open = await _create(agency)
        await move(agency, await _submit(agency, kept_open["id"], rid), "interviewing")
        kept_placed = await _create(agency)
        await move(agency, await _submit(agency, kept_placed["id"], rid), "placed")
        kept_noted = await _create(agency)
        elsewhere = await _create(other)

        due = [due_plain, due_expired, due_interest, due_placed]
        kept = [kept_recent, kept_consent, kept_open, kept_placed, kept_noted]
        await _backdate(
            system,
            [c["id"] for c in [*due, *kept[1:], elsewhere]],
            LONG_AGO,
        )
        # Written after the backdating: this note is recent activity.
        await post_json(
            agency,
            "/api/v1/notes",
            {"subject_type": "candidate", "subject_id": kept_noted["id"], "body": "call back"},
        )
        for candidate in due:
            await eventually(
                lambda c=candidate: _found_in_search(agency, c["last_name"]),
                what="a due candidate in search",
            )

        # No policy yet: nothing is due.
        code, out, _ = await _cli("retention", "run", "--tenant", agency.slug, "--dry-run")
        assert code == 0, out
        assert "off: no candidate is due" in out

        code, out, err = await _cli(
            "retention", "policy", "--tenant", agency.slug, "--inactive-months", "12"
        )
        assert code == 0, err
        assert "12 month(s)" in out
        code, out, _ = await _cli("retention", "policy", "--tenant", agency.slug)
        assert "12 month(s)" in out
        assert "system:cli" in out
        # The other agency's policy would make its candidate due, but only when run for it.
        code, _, err = await _cli(
            "retention", "policy", "--tenant", other.slug, "--inactive-months", "1"
        )
        assert code == 0, err

        # A dry run lists exactly the due ones, by id with the reason, and erases nothing.
        code, out, err = await _cli(
            "retention", "run", "--tenant", agency.slug, "--dry-run", "--json"
        )
        assert code == 0, err
        report = json.loads(out)
        listed = {d["candidate_id"]: d for d in report["due"]}
        assert set(listed) == {c["id"] for c in due}
        assert report["due_total"] == 4
        assert (report["erased"], report["failed"]) == ([], [])
        assert listed[due_expired["id"]]["consent"] == "expired"
        assert listed[due_plain["id"]]["consent"] == "none"
        assert listed[due_interest["id"]]["consent"] == "not_consent"
        assert listed[due_interest["id"]]["consent_basis"] == "legitimate_interest"
        # The placement ended after everything else it did: its end is the last activity.
        assert listed[due_placed["id"]]["last_activity_source"] == "placement"
        assert listed[due_placed["id"]]["last_activity"].startswith("2023-07-01")
        assert listed[due_plain["id"]]["last_activity"].startswith("2023-03-01")

        code, out, err = await _cli("retention", "run", "--tenant", agency.slug, "--dry-run")
        assert code == 0, err
        assert "4 due" in out
        assert "dry run: nothing erased" in out
        for candidate in due:
            assert candidate["id"] in out
        for candidate in [*due, *kept]:  # ids only: no name, no address
            assert candidate["last_name"] not in out + err
            assert candidate["emails"][0] not in out + err
        for candidate in [*due, *kept, elsewhere]:
            assert (
                await _status(agency if candidate is not elsewhere else other, candidate["id"])
                == 200
            )

        # One by the job itself, capped; the rest by the command line.
        first = await run_retention(system.settings, agency.slug, dry_run=False, limit=1)
        assert first.due_total == 4
        assert len(first.erased) == 1
        assert first.failed == []
        code, out, err = await _cli("retention", "run", "--tenant", agency.slug, "--json")
        assert code == 0, err
        report = json.loads(out)
        assert report["failed"] == []
        erased = {*map(str, first.erased), *report["erased"]}
        assert erased == {c["id"] for c in due}

        for candidate in due:
            assert await _status(agency, candidate["id"]) == 404

            async def gone(c: dict[str, Any] = candidate) -> bool:
                return not await _found_in_search(agency, c["last_name"])

            await eventually(gone, what="an erased candidate gone from search")
        for candidate in kept:
            assert await _status(agency, candidate["id"]) == 200
        assert await _status(other, elsewhere["id"]) == 200

        stores = Stores(system.settings)
        await stores.db.start()
        try:
            async with stores.db.read() as conn:
                erased_by = (
                    await conn.execute(
                        text("SELECT DISTINCT erased_by FROM erasures WHERE tenant_id = :t"),
                        {"t": agency.tenant_id},
                    )
                ).scalars()
                assert list(erased_by) == ["system:retention"]
        finally:
            await stores.db.stop()

        # Safe to run again: the erased are not due any more.
        code, out, err = await _cli("retention", "run", "--tenant", agency.slug, "--json")
        assert code == 0, err
        again = json.loads(out)
        assert (again["due_total"], again["erased"], again["failed"]) == (0, [], [])

        code, _, err = await _cli("retention", "run", "--tenant", f"no-{agency.slug}")
        assert code == 2
        assert "no agency" in err
