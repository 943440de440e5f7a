"""`refactortrack keys backfill` against the real Postgres and MongoDB: what was stored
before encryption at rest (values in the clear, contact points holding their value with
key version 0, a resume file unsealed) is sealed and blind-indexed, and still reads the
same; a second run finds nothing."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from core import crypto
from core.clock import utcnow
from stores.at_rest_backfill import backfill
from stores.bundle import Stores
from stores.mongo import FILES
from stores.postgres import tables

pytestmark = pytest.mark.stack


async def test_backfill_seals_and_indexes_what_was_stored_in_the_clear(stores: Stores) -> None:
    tenant, candidate, client, contact, document = (uuid.uuid4() for _ in range(5))
    unique = uuid.uuid4().hex[:10]
    email, phone = f"ada.{unique}@analytical.example", f"+4930{uuid.uuid4().int % 10**8:08d}"
    contact_email = f"bill.{unique}@initech.example"
    now = utcnow()
    versioned = {"version": 1, "created_at": now, "updated_at": now}
    async with stores.db.transaction() as conn:
        await conn.execute(tables.tenants.insert().values(id=tenant, slug=f"b-{tenant}", name="B"))
        await conn.execute(
            tables.candidates.insert().values(
                id=candidate,
                tenant_id=tenant,
                first_name="Ada",
                last_name="Lovelace",
                emails=[email],
                phones=[phone],
                status="active",
                **versioned,
            )
        )
        await conn.execute(
            tables.candidate_contact_points.insert().values(
                [
                    {"tenant_id": tenant, "kind": k, "digest": v, "candidate_id": candidate}
                    for k, v in (("email", email), ("phone", phone))
                ]
            )
        )
        await conn.execute(
            tables.clients.insert().values(
                id=client, tenant_id=tenant, name="Initech", status="active", **versioned
            )
        )
        await conn.execute(
            tables.contacts.insert().values(
                id=contact,
                tenant_id=tenant,
                client_id=client,
                first_name="Bill",
                last_name="Lumbergh",
                email=contact_email,
                phone=None,
                role="hiring_manager",
                **versioned,
            )
        )
    content = f"Ada Lovelace, notes on the engine {unique}".encode()
    await stores.mongo.put_file(tenant, candidate, document, content, sealed=False)
    await stores.mongo.set_file_text(document, f"notes on the engine {unique}")

    first = await backfill(stores)
    assert first.candidates >= 1
    assert first.contacts >= 1
    assert first.files >= 1

    async with stores.db.read() as conn:
        record = (
            (
                await conn.execute(
                    select(tables.candidates).where(tables.candidates.c.id == candidate)
                )
            )
            .mappings()
            .one()
        )
        points = (
            await conn.execute(
                select(tables.candidate_contact_points).where(
                    tables.candidate_contact_points.c.candidate_id == candidate
                )
            )
        ).all()
        matches = (
            await conn.execute(
                select(tables.candidate_match_keys).where(
                    tables.candidate_match_keys.c.candidate_id == candidate
                )
            )
        ).all()
        stored_contact = (
            (await conn.execute(select(tables.contacts).where(tables.contacts.c.id == contact)))
            .mappings()
            .one()
        )
        index = await stores.at_rest.index(conn, tenant)
    assert all(crypto.is_sealed_text(v) for v in [*record["emails"], *record["phones"]])
    (opened,) = await stores.at_rest.open_candidates([dict(record)])
    assert (opened["emails"], opened["phones"]) == ([email], [phone])
    # The guard holds digests of the version in use, which a duplicate is looked up by.
    assert index.version >= 1
    assert {(p.kind, p.digest, p.key_version) for p in points} == {
        ("email", index.point("email", email), index.version),
        ("phone", index.point("phone", phone), index.version),
    }
    assert {m.digest for m in matches} == {
        r["digest"] for r in index.match_rows(candidate, [email], [phone])
    }
    assert crypto.is_sealed_text(stored_contact["email"])
    (opened_contact,) = await stores.at_rest.open_contacts([dict(stored_contact)])
    assert opened_contact["email"] == contact_email

    raw = await stores.mongo.db[FILES].find_one({"_id": str(document)})
    assert raw is not None
    assert raw["sealed"] is True
    assert unique.encode() not in bytes(raw["content"])
    assert await stores.files.content(tenant, document) == content
    assert await stores.files.text(tenant, document) == f"notes on the engine {unique}"

    again = await backfill(stores)
    assert again.total == 0
