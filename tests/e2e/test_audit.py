"""The audit log: who read, changed, exported or erased what, from where; only for admins,
only of their agency; a chain that verifies until someone tampers with it."""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.jobs.audit import verify_audit
from core.clock import utcnow
from stores.bundle import Stores
from tests.e2e.conftest import PASSWORD, ROOT, Agency, System, _agency
from tests.e2e.helpers import candidate_body, eventually
from tests.harness.processes import CLI
from tests.support import admin_options
from topics.envelopes import Actor, CommandEnvelope
from topics.names import CANDIDATE_COMMANDS

pytestmark = pytest.mark.stack

CLIENT_ADDRESS = "198.51.100.23"  # what a trusted proxy (here: the test, on 127.0.0.1) forwards
LOGIN_ADDRESS = "203.0.113.9"


@pytest.fixture
async def recruiter(system: System, admin: Agency) -> AsyncIterator[Agency]:
    """A recruiter of the admin's agency."""
    async with _agency(system, role="recruiter", slug=admin.slug) as made:
        yield made


async def _id_of(agency: Agency) -> str:
    return str((await agency.client.get("/api/v1/me")).json()["id"])


async def _audit(agency: Agency, **params: Any) -> list[dict[str, Any]]:
    response = await agency.client.get("/api/v1/audit", params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_changes_reads_exports_erasures_and_logins_are_recorded(
    system: System, admin: Agency, recruiter: Agency
) -> None:
    recruiter_id, admin_id = await _id_of(recruiter), await _id_of(admin)
    recruiter.client.headers["X-Forwarded-For"] = CLIENT_ADDRESS
    body = candidate_body(phones=["+14155550123"], headline="Kernel hacker")
    created = await recruiter.client.post("/api/v1/candidates", json=body)
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    new_email = f"secret.{uuid.uuid4().hex[:8]}@example.org"
    patched = await recruiter.client.patch(
        f"/api/v1/candidates/{cid}", json={"headline": "Staff engineer", "emails": [new_email]}
    )
    assert patched.status_code == 200, patched.text
    assert (await recruiter.client.get(f"/api/v1/candidates/{cid}")).status_code == 200
    assert (await recruiter.client.get("/api/v1/candidates")).status_code == 200
    assert (await admin.client.get(f"/api/v1/candidates/{cid}/export")).status_code == 200
    assert (await recruiter.client.delete(f"/api/v1/candidates/{cid}")).status_code == 204

    username = f"recruiter-{admin.slug}"
    async with httpx.AsyncClient(
        base_url=system.base_url, headers={"X-Forwarded-For": LOGIN_ADDRESS}
    ) as anon:
        wrong = await anon.post(
            "/api/v1/auth/token", json={"username": username, "password": "not-the-password"}
        )
        assert wrong.status_code == 401
        right = await anon.post(
            "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
        )
        assert right.status_code == 200

    about = list(reversed(await _audit(admin, subject_id=cid)))  # oldest first
    assert [e["action"] for e in about] == ["create", "update", "read", "list", "export", "erase"]
    assert [e["seq"] for e in about] == sorted(e["seq"] for e in about)
    by_recruiter = [e for e in about if e["action"] != "export"]
    assert {(e["actor"], e["actor_kind"], e["address"]) for e in by_recruiter} == {
        (recruiter_id, "user", CLIENT_ADDRESS)
    }
    export = about[4]
    assert (export["actor"], export["address"]) == (admin_id, "127.0.0.1")
    create, update, read, listed = about[:4]
    assert (create["subject_type"], create["subject_id"]) == ("candidate", cid)
    assert set(update["detail"]["fields"]) == {"emails", "headline"}
    assert read["detail"]["view"] == "profile"
    assert listed["subject_id"] is None
    assert cid in listed["subject_ids"]
    assert about[5]["subject_id"] == cid

    async def logins() -> list[dict[str, Any]]:
        mine = await _audit(admin, actor=recruiter_id)
        found = [e for e in mine if e["action"] in ("login", "login_failed")]
        # The fixture's login (from 127.0.0.1) and the two above.
        return found if len(found) >= 3 else []

    entries = await eventually(logins, what="the failed login's entry")
    failed = [e for e in entries if e["action"] == "login_failed"]
    assert [(e["address"], e["detail"]["reason"]) for e in failed] == [
        (LOGIN_ADDRESS, "wrong_password")
    ]
    assert LOGIN_ADDRESS in [e["address"] for e in entries if e["action"] == "login"]
    assert all(e["subject_id"] == recruiter_id for e in entries)

    everything = json.dumps(await _audit(admin)).lower()
    for personal in (
        *body["emails"],
        new_email,
        body["last_name"],
        "+14155550123",
        "4155550123",
        "kernel hacker",
        "staff engineer",
        "not-the-password",
        PASSWORD,
    ):
        assert personal.lower() not in everything, personal


async def test_filters_and_pagination(admin: Agency, recruiter: Agency) -> None:
    recruiter_id, admin_id = await _id_of(recruiter), await _id_of(admin)
    ids = []
    for _ in range(3):
        made = await recruiter.client.post("/api/v1/candidates", json=candidate_body())
        ids.append(made.json()["id"])
    for cid in ids:
        assert (await admin.client.get(f"/api/v1/candidates/{cid}")).status_code == 200
    # Whatever a trusted proxy forwards is kept printable and within its column.
    odd = await admin.client.get(
        f"/api/v1/candidates/{ids[0]}", headers={"X-Forwarded-For": "2001:db8::" + "f" * 300}
    )
    assert odd.status_code == 200
    [kept] = [e for e in await _audit(admin, subject_id=ids[0]) if e["action"] == "read"][:1]
    assert kept["address"] == ("2001:db8::" + "f" * 300)[:100]

    everything = await _audit(admin)
    seqs = [e["seq"] for e in everything]
    assert seqs == sorted(seqs, reverse=True)  # newest first
    assert {e["actor"] for e in await _audit(admin, actor=admin_id)} == {admin_id}
    recruiters = await _audit(admin, actor=recruiter_id)
    assert {e["action"] for e in recruiters} >= {"create", "login"}
    assert [e["action"] for e in await _audit(admin, subject_id=ids[1])] == ["read", "create"]

    # since is inclusive, until exclusive.
    middle = next(e for e in everything if e["subject_id"] == ids[1] and e["action"] == "read")
    at = datetime.fromisoformat(middle["at"])
    since = await _audit(admin, since=at.isoformat())
    until = await _audit(admin, until=at.isoformat())
    assert middle["seq"] == min(e["seq"] for e in since)
    assert middle["seq"] == max(e["seq"] for e in until) + 1
    window = await _audit(
        admin,
        since=at.isoformat(),
        until=(at + timedelta(microseconds=1)).isoformat(),
    )
    assert [e["id"] for e in window] == [middle["id"]]

    pages: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await admin.client.get("/api/v1/audit", params=params)).json()
        pages.extend(e["seq"] for e in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # Every entry of the first listing, in order; later reads may only add newer ones.
    assert pages[-len(seqs) :] == seqs

    backwards = await admin.client.get(
        "/api/v1/audit", params={"since": utcnow().isoformat(), "until": "2020-01-01T00:00:00Z"}
    )
    assert backwards.status_code == 422
    assert "until" in backwards.json()["errors"]
    assert (await admin.client.get("/api/v1/audit", params={"cursor": "nope"})).status_code == 400
    bad_id = await admin.client.get("/api/v1/audit", params={"subject_id": "x"})
    assert bad_id.status_code == 422
    for hostile in ("\x00", "a" * 201, "x' OR 1=1"):
        refused = await admin.client.get("/api/v1/audit", params={"actor": hostile})
        assert refused.status_code == 422, hostile
    far = await admin.client.get("/api/v1/audit", params={"since": "9999-12-31T23:59:59-05:00"})
    assert far.status_code == 422


async def test_an_agency_sees_only_its_own_log(
    admin: Agency, recruiter: Agency, other_admin: Agency
) -> None:
    cid = (await recruiter.client.post("/api/v1/candidates", json=candidate_body())).json()["id"]
    assert (await admin.client.get(f"/api/v1/candidates/{cid}")).status_code == 200
    assert len(await _audit(admin, subject_id=cid)) == 2

    assert await _audit(other_admin, subject_id=cid) == []
    assert await _audit(other_admin, actor=await _id_of(recruiter)) == []
    theirs = await _audit(other_admin)
    assert theirs, "the other admin's own login"
    assert all(cid not in e["subject_ids"] for e in theirs)
    assert {e["actor"] for e in theirs} == {await _id_of(other_admin)}


async def test_only_admins_read_the_log(system: System, recruiter: Agency, viewer: Agency) -> None:
    for agency in (recruiter, viewer):
        refused = await agency.client.get("/api/v1/audit")
        assert refused.status_code == 403
        assert refused.json()["permission"] == "audit:read"
    async with httpx.AsyncClient(base_url=system.base_url) as anon:
        assert (await anon.get("/api/v1/audit")).status_code == 401


async def test_a_redelivered_command_makes_one_entry(system: System, admin: Agency) -> None:
    candidate_id = uuid.uuid4()
    envelope = CommandEnvelope(
        command_id=uuid.uuid4(),
        type="candidate.create",
        tenant_id=admin.tenant_id,
        actor=Actor(id="job-board", kind="system"),
        payload={**candidate_body(), "candidate_id": str(candidate_id)},
    )
    topic = CANDIDATE_COMMANDS.name(system.settings.topic_namespace)
    producer = AIOKafkaProducer(**admin_options(system.settings), acks="all")
    await producer.start()
    try:
        raw, key = envelope.model_dump_json().encode(), str(candidate_id).encode()
        await producer.send_and_wait(topic, raw, key=key)

        async def created() -> list[dict[str, Any]]:
            return await _audit(admin, subject_id=str(candidate_id))

        await eventually(created, what="the create's entry")
        await producer.send_and_wait(topic, raw, key=key)
        # A marker after the copy, on the same key: once it is applied the copy was handled.
        marker = envelope.model_copy(
            update={
                "command_id": uuid.uuid4(),
                "type": "candidate.update",
                "payload": {"candidate_id": str(candidate_id), "changes": {"tags": ["x"]}},
            }
        )
        await producer.send_and_wait(topic, marker.model_dump_json().encode(), key=key)

        async def updated() -> list[dict[str, Any]]:
            found = await created()
            return found if any(e["action"] == "update" for e in found) else []

        entries = await eventually(updated, what="the marker's entry")
    finally:
        await producer.stop()
    assert [e["action"] for e in entries] == ["update", "create"]
    assert entries[1]["actor"] == "job-board"
    assert entries[1]["actor_kind"] == "system"
    assert entries[1]["address"] is None


def _verify_cli(slug: str, *more: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, "audit", "verify", "--tenant", slug, *more],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def _as_owner(stores: Stores, statement: str, **params: Any) -> None:
    """What someone with the table owner's rights could do: switch the guard off, change
    the log, and switch it on again."""
    async with stores.db.transaction() as conn:
        await conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        await conn.execute(text(statement), params)
        await conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))


async def test_the_chain_verifies_and_tampering_is_found(
    system: System, admin: Agency, recruiter: Agency, other_admin: Agency
) -> None:
    cid = (await recruiter.client.post("/api/v1/candidates", json=candidate_body())).json()["id"]
    for _ in range(2):
        assert (await admin.client.get(f"/api/v1/candidates/{cid}")).status_code == 200
    entries = await _audit(admin)
    assert len(entries) >= 5

    intact = await asyncio.to_thread(_verify_cli, admin.slug)
    assert intact.returncode == 0, intact.stderr
    assert f"{len(entries)} entries" in intact.stdout
    anchor = intact.stdout.split("--anchor ")[1].strip()
    assert anchor.startswith(f"{len(entries)}:")
    anchored = await asyncio.to_thread(_verify_cli, admin.slug, "--anchor", anchor)
    assert anchored.returncode == 0, anchored.stderr
    elsewhere = await asyncio.to_thread(_verify_cli, admin.slug, "--anchor", "2:" + "0" * 64)
    assert elsewhere.returncode == 1
    assert "BROKEN at seq 2" in elsewhere.stderr
    unknown = await asyncio.to_thread(_verify_cli, f"no-such-{uuid.uuid4().hex[:6]}")
    assert unknown.returncode == 2
    assert "no agency" in unknown.stderr

    stores = Stores(system.settings)
    await stores.start()
    try:
        # The database itself refuses to change or remove an entry.
        for refused in (
            "UPDATE audit_log SET address = '10.6.6.6' WHERE tenant_id = :t",
            "DELETE FROM audit_log WHERE tenant_id = :t",
        ):
            with pytest.raises(DBAPIError, match="append-only"):
                async with stores.db.transaction() as conn:
                    await conn.execute(text(refused), {"t": admin.tenant_id})

        # With the guard switched off, an entry's address is rewritten.
        await _as_owner(
            stores,
            "UPDATE audit_log SET address = '10.6.6.6' WHERE tenant_id = :t AND seq = 3",
            t=admin.tenant_id,
        )
        tampered = await asyncio.to_thread(_verify_cli, admin.slug)
        assert tampered.returncode == 1
        assert "BROKEN at seq 3" in tampered.stderr
        assert "2 entries before it verify" in tampered.stderr

        # Elsewhere, the newest entry is deleted: the head gives it away.
        assert (await other_admin.client.get("/api/v1/candidates")).status_code == 200
        newest = (await _audit(other_admin))[0]["seq"]
        await _as_owner(
            stores,
            "DELETE FROM audit_log WHERE tenant_id = :t AND seq = :s",
            t=other_admin.tenant_id,
            s=newest,
        )
        verdict = await verify_audit(system.settings, other_admin.slug)
        assert verdict.broken is not None
        assert verdict.broken.seq == newest
        assert "missing" in verdict.broken.reason
    finally:
        await stores.stop()
