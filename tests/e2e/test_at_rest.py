"""Personal data at rest: e-mails, phones and resume files are sealed in Postgres and
MongoDB, yet read back, guard duplicates and find near-duplicates; rotating an agency's
key keeps all of that working and deletes the old version."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import bson
import pytest
from sqlalchemy import text

from core.settings import Settings
from stores.bundle import Stores
from stores.mongo import FILES
from tests.e2e.conftest import ROOT, Agency, System
from tests.e2e.helpers import candidate_body
from tests.e2e.traces import in_mongo, in_postgres
from tests.harness.processes import CLI

pytestmark = pytest.mark.stack


@asynccontextmanager
async def _stores(settings: Settings) -> AsyncIterator[Stores]:
    """The stores as a fresh process sees them: no key cached."""
    stores = Stores(settings)
    await stores.start()
    try:
        yield stores
    finally:
        await stores.stop()


async def _in_the_clear(settings: Settings, needles: list[str]) -> list[str]:
    async with _stores(settings) as stores:
        return [*await in_postgres(stores, needles), *await in_mongo(stores, needles)]


def _unique_phone() -> tuple[str, str]:
    """A Berlin number no other test uses, as typed and in E.164."""
    digits = f"{uuid.uuid4().int % 10**8:08d}"
    return f"+49 30 {digits}", f"+4930{digits}"


async def _create(agency: Agency, **fields: Any) -> dict[str, Any]:
    created = await agency.client.post("/api/v1/candidates", json=candidate_body(**fields))
    assert created.status_code == 201, created.text
    return dict(created.json())


async def _rows(settings: Settings, sql: str, **params: Any) -> list[Any]:
    async with _stores(settings) as stores, stores.db.read() as conn:
        return list((await conn.execute(text(sql), params)).all())


async def test_emails_and_phones_are_sealed_yet_read_and_guard_duplicates(
    agency: Agency, system: System
) -> None:
    unique = uuid.uuid4().hex[:10]
    typed, e164 = _unique_phone()
    candidate = await _create(agency, emails=[f"Ada.{unique}@Example.com"], phones=[typed])
    email = f"ada.{unique}@example.com"
    assert candidate["emails"] == [email]
    assert candidate["phones"] == [e164]

    # Neither the record, nor the duplicate guard, nor the ledger, nor MongoDB holds them.
    assert await _in_the_clear(system.settings, [email, e164, e164[1:]]) == []
    stored = await _rows(
        system.settings,
        "SELECT emails, phones FROM candidates WHERE id = :id",
        id=uuid.UUID(candidate["id"]),
    )
    assert all(v.startswith("rt1:") for v in [*stored[0].emails, *stored[0].phones])
    points = await _rows(
        system.settings,
        "SELECT kind, key_version FROM candidate_contact_points WHERE candidate_id = :id",
        id=uuid.UUID(candidate["id"]),
    )
    assert sorted(p.kind for p in points) == ["email", "phone"]
    assert {p.key_version for p in points} == {1}

    got = (await agency.client.get(f"/api/v1/candidates/{candidate['id']}")).json()
    assert (got["emails"], got["phones"]) == ([email], [e164])
    listed = (await agency.client.get("/api/v1/candidates")).json()["items"]
    assert [c["emails"] for c in listed if c["id"] == candidate["id"]] == [[email]]

    for duplicate in ({"emails": [email.upper()]}, {"emails": [], "phones": [e164]}):
        again = await agency.client.post("/api/v1/candidates", json=candidate_body(**duplicate))
        assert again.status_code == 409, again.text
        assert again.json()["duplicate_of"] == candidate["id"]

    # A change keeps them sealed and moves the guard: the old address is free again.
    new_email = f"lovelace.{unique}@example.org"
    changed = await agency.client.patch(
        f"/api/v1/candidates/{candidate['id']}", json={"emails": [new_email]}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["emails"] == [new_email]
    assert await _in_the_clear(system.settings, [new_email]) == []
    await _create(agency, emails=[email])


async def test_near_duplicates_are_found_by_phone_tail_and_company_domain(
    agency: Agency,
) -> None:
    unique = uuid.uuid4().hex[:8]
    domain = f"nasa-{unique}.example"
    langley = [
        {"employer": "NASA", "title": "Mathematician"},
        {"employer": "Langley", "title": "Computer"},
    ]
    hampton = {"city": "Hampton", "country": "US", "remote": False}
    original = await _create(
        agency,
        first_name="Katherine",
        last_name=f"Johnson{unique}",
        emails=[f"k.johnson@{domain}"],
        phones=["+1 202 555 0147"],
        work_history=langley,
        location=hampton,
    )
    # Nothing in common with the original but the last seven digits of a phone (another
    # country) and an employer: found through the phone tail's blind index.
    by_tail = await _create(
        agency,
        first_name="Kay",
        last_name=f"Coleman{unique}",
        emails=[f"kc{unique}@gmail.com"],
        phones=["+44 20 7555 0147"],
        work_history=langley[:1],
    )
    # Only the company domain, the employers and the city: found through the domain's.
    by_domain = await _create(
        agency,
        first_name="Dorothy",
        last_name=f"Vaughan{unique}",
        emails=[f"dv@{domain}"],
        work_history=langley,
        location=hampton,
    )
    await _create(agency, first_name="Mary", last_name=f"Jackson{unique}", emails=[])

    found = await agency.client.get(f"/api/v1/candidates/{original['id']}/duplicates")
    assert found.status_code == 200, found.text
    items = {i["id"]: i for i in found.json()["items"]}
    assert set(items) == {by_tail["id"], by_domain["id"]}
    assert "phone numbers end alike" in items[by_tail["id"]]["reasons"]
    assert f"email at the same domain ({domain})" in items[by_domain["id"]]["reasons"]


async def test_a_resume_is_sealed_in_mongodb_and_downloads_as_uploaded(
    agency: Agency, system: System
) -> None:
    candidate = await _create(agency)
    word = f"quasiquartz{uuid.uuid4().hex[:8]}"
    content = f"Ada Lovelace\nWrote the first {word} program, in Python and Kafka.\n".encode()
    uploaded = await agency.client.post(
        f"/api/v1/candidates/{candidate['id']}/documents",
        files={"file": ("cv.txt", content, "text/plain")},
    )
    assert uploaded.status_code == 201, uploaded.text
    document = uploaded.json()
    assert document["text_chars"] > 0  # read, from the sealed file

    async with _stores(system.settings) as stores:
        stored = await stores.mongo.db[FILES].find_one({"_id": document["id"]})
    assert stored is not None
    assert stored["sealed"] is True
    assert word.encode() not in bson.encode(stored)
    assert str(stored["text"]).startswith("rt1:")
    assert await _in_the_clear(system.settings, [word]) == []

    url = f"/api/v1/candidates/{candidate['id']}/documents/{document['id']}/content"
    download = await agency.client.get(url)
    assert download.status_code == 200, download.text
    assert download.content == content
    assert download.headers["content-type"].startswith("text/plain")
    # Another candidate's path, or an unknown document, is a 404.
    other = await _create(agency)
    assert (await agency.client.get(url.replace(candidate["id"], other["id"]))).status_code == 404
    missing = f"/api/v1/candidates/{candidate['id']}/documents/{uuid.uuid4()}/content"
    assert (await agency.client.get(missing)).status_code == 404


async def test_client_contacts_are_sealed_yet_read(agency: Agency, system: System) -> None:
    client = (await agency.client.post("/api/v1/clients", json={"name": "Initech"})).json()
    unique = uuid.uuid4().hex[:10]
    typed, e164 = _unique_phone()
    made = await agency.client.post(
        f"/api/v1/clients/{client['id']}/contacts",
        json={
            "first_name": "Bill",
            "last_name": "Lumbergh",
            "email": f"Bill.{unique}@Initech.example",
            "phone": typed,
        },
    )
    assert made.status_code == 201, made.text
    contact = made.json()
    email = f"bill.{unique}@initech.example"
    assert (contact["email"], contact["phone"]) == (email, e164)
    assert await _in_the_clear(system.settings, [email, e164]) == []

    got = (await agency.client.get(f"/api/v1/contacts/{contact['id']}")).json()
    assert (got["email"], got["phone"]) == (email, e164)
    listed = (await agency.client.get(f"/api/v1/clients/{client['id']}/contacts")).json()
    assert [(c["email"], c["phone"]) for c in listed["items"]] == [(email, e164)]

    other_typed, other_e164 = _unique_phone()
    changed = await agency.client.patch(
        f"/api/v1/contacts/{contact['id']}", json={"phone": other_typed, "title": "VP"}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["email"], changed.json()["phone"]) == (email, other_e164)
    assert await _in_the_clear(system.settings, [other_e164]) == []


def _keys_cli(system: System, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, "keys", *args],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
    )


async def test_rotation_keeps_everything_readable_and_deletes_the_old_version(
    agency: Agency, system: System
) -> None:
    unique = uuid.uuid4().hex[:8]
    typed, e164 = _unique_phone()
    domain = f"acme-{unique}.example"
    first = await _create(
        agency,
        first_name="Grace",
        last_name=f"Hopper{unique}",
        emails=[f"grace@{domain}"],
        phones=[typed],
        work_history=[{"employer": "US Navy", "title": "Rear Admiral"}],
    )
    near = await _create(
        agency,
        first_name="Amazing",
        last_name=f"Grace{unique}",
        emails=[f"ag@{domain}"],
        phones=[f"+1 415 {e164[-7:]}"],
        work_history=[{"employer": "US Navy", "title": "Admiral"}],
    )
    content = f"COBOL and compilers {unique}".encode()
    document = (
        await agency.client.post(
            f"/api/v1/candidates/{first['id']}/documents",
            files={"file": ("cv.txt", content, "text/plain")},
        )
    ).json()
    client = (await agency.client.post("/api/v1/clients", json={"name": "Univac"})).json()
    contact = (
        await agency.client.post(
            f"/api/v1/clients/{client['id']}/contacts",
            json={"first_name": "John", "last_name": "Mauchly", "email": f"jm@{domain}"},
        )
    ).json()

    shown = _keys_cli(system, "show", "--tenant", agency.slug)
    assert shown.returncode == 0, shown.stderr
    rotated = _keys_cli(system, "rotate", "--tenant", agency.slug)
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    assert "key version 2 in use" in rotated.stderr

    versions = await _rows(
        system.settings,
        "SELECT version FROM agency_keys WHERE tenant_id = :t",
        t=agency.tenant_id,
    )
    assert [v.version for v in versions] == [2]  # the old version row is gone
    wrapped = await _rows(
        system.settings,
        "SELECT DISTINCT agency_key_version FROM person_keys WHERE tenant_id = :t",
        t=agency.tenant_id,
    )
    assert [w[0] for w in wrapped] == [2]
    indexed = await _rows(
        system.settings,
        "SELECT DISTINCT key_version FROM candidate_contact_points WHERE tenant_id = :t"
        " UNION SELECT DISTINCT key_version FROM candidate_match_keys WHERE tenant_id = :t",
        t=agency.tenant_id,
    )
    assert [i[0] for i in indexed] == [2]
    shown = _keys_cli(system, "show", "--tenant", agency.slug)
    assert shown.returncode == 0, shown.stderr
    assert "person keys" in shown.stdout
    assert "rt1:" not in shown.stdout

    # Old data opens, in a process that has no key cached (the gateway may still have).
    async with _stores(system.settings) as stores:
        assert await stores.files.content(agency.tenant_id, uuid.UUID(document["id"])) == content
    got = (await agency.client.get(f"/api/v1/candidates/{first['id']}")).json()
    assert (got["emails"], got["phones"]) == ([f"grace@{domain}"], [e164])
    got_contact = (await agency.client.get(f"/api/v1/contacts/{contact['id']}")).json()
    assert got_contact["email"] == f"jm@{domain}"
    download = await agency.client.get(
        f"/api/v1/candidates/{first['id']}/documents/{document['id']}/content"
    )
    assert download.content == content

    # Duplicates are still refused, and near-duplicates still found, under the new key.
    for duplicate in ({"emails": [f"GRACE@{domain}"]}, {"emails": [], "phones": [e164]}):
        again = await agency.client.post("/api/v1/candidates", json=candidate_body(**duplicate))
        assert again.status_code == 409, again.text
        assert again.json()["duplicate_of"] == first["id"]
    found = (await agency.client.get(f"/api/v1/candidates/{first['id']}/duplicates")).json()
    assert [i["id"] for i in found["items"]] == [near["id"]]
    fresh = await _create(agency, emails=[f"fresh.{unique}@{domain}"])
    assert fresh["emails"] == [f"fresh.{unique}@{domain}"]


async def test_creates_during_a_rotation_are_never_duplicates(
    agency: Agency, system: System
) -> None:
    """Creates that race the rotation's switch wait for it; none gets past the guard."""
    run = uuid.uuid4().hex[:6]
    emails = [f"race.{i}.{run}@example.com" for i in range(6)]
    await asyncio.gather(*(_create(agency, emails=[e]) for e in emails))
    rotation = asyncio.create_task(
        asyncio.to_thread(_keys_cli, system, "rotate", "--tenant", agency.slug)
    )
    # Until the rotation is over: one of the six again (a duplicate), and a new one.
    duplicates: list[Any] = []
    fresh: list[Any] = []
    while not rotation.done():
        i = len(fresh)
        body = candidate_body(emails=[emails[i % len(emails)]])
        duplicates.append(await agency.client.post("/api/v1/candidates", json=body))
        body = candidate_body(emails=[f"race.new.{i}.{run}@example.com"])
        fresh.append(await agency.client.post("/api/v1/candidates", json=body))
    done = await rotation
    assert done.returncode == 0, done.stdout + done.stderr
    assert {r.status_code for r in duplicates} == {409}, [r.text for r in duplicates]
    assert {r.status_code for r in fresh} == {201}, [r.text for r in fresh]
    holders = await _rows(
        system.settings,
        "SELECT count(*), count(DISTINCT candidate_id), min(key_version), max(key_version)"
        " FROM candidate_contact_points WHERE tenant_id = :t",
        t=agency.tenant_id,
    )
    total = len(emails) + len(fresh)
    assert tuple(holders[0]) == (total, total, 2, 2)
