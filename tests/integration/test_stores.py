"""Store adapters against the real servers: what the agents and gateway rely on."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text

from core.clock import utcnow
from domain.query_syntax import parse_query
from stores.bundle import Stores
from stores.postgres import commands as ledger
from stores.redis import outcome_key
from topics.envelopes import Actor, CommandOutcome, EventEnvelope

pytestmark = pytest.mark.stack


def _ledger_row(tenant: uuid.UUID, command_id: uuid.UUID, status: str) -> dict[str, object]:
    """A recorded outcome of a command that changed nothing."""
    return {
        "command_id": command_id,
        "tenant_id": tenant,
        "type": "candidate.create",
        "status": status,
        "resource_id": None,
        "error": None,
        "events": [],
    }


async def test_ledger_records_a_command_once(stores: Stores) -> None:
    command_id, tenant = uuid.uuid4(), uuid.uuid4()
    row = {
        "command_id": command_id,
        "tenant_id": tenant,
        "type": "candidate.create",
        "resource_id": None,
        "error": None,
        "events": [],
    }
    async with stores.db.transaction() as conn:
        assert await ledger.record_processed_many(conn, [{**row, "status": "applied"}])
    async with stores.db.transaction() as conn:
        assert not await ledger.record_processed_many(conn, [{**row, "status": "rejected"}])
    async with stores.db.read() as conn:
        found = await ledger.get_processed_many(conn, [(tenant, command_id)])
    assert found[(tenant, command_id)]["status"] == "applied"


async def test_the_ledger_tells_a_set_with_one_replay_from_a_new_one(stores: Stores) -> None:
    tenant = uuid.uuid4()

    def row(command_id: uuid.UUID) -> dict[str, object]:
        return _ledger_row(tenant, command_id, "applied")

    first = [uuid.uuid4() for _ in range(5)]
    async with stores.db.transaction() as conn:
        assert await ledger.record_processed_many(conn, [row(c) for c in first])
    # Sets of other sizes share no statement text with the first; one known id fails it.
    again = [uuid.uuid4() for _ in range(6)] + [first[2]]
    async with stores.db.transaction() as conn:
        assert not await ledger.record_processed_many(conn, [row(c) for c in again])
    async with stores.db.read() as conn:
        found = await ledger.get_processed_many(conn, [(tenant, c) for c in first + again])
    assert set(found) == {(tenant, c) for c in first + again}


async def test_a_lookup_reads_outside_any_transaction(stores: Stores) -> None:
    # No BEGIN before its statements, no ROLLBACK after: two round trips fewer than read().
    async with stores.db.lookup() as conn:
        assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1
        raw = await conn.get_raw_connection()
        assert raw.driver_connection is not None
        assert not raw.driver_connection.is_in_transaction()
    async with stores.db.read() as conn:
        await conn.execute(text("SELECT 1"))
        raw = await conn.get_raw_connection()
        assert raw.driver_connection is not None
        assert raw.driver_connection.is_in_transaction()


async def test_the_ledger_keeps_each_agencys_command_ids_apart(stores: Stores) -> None:
    command_id, mine, theirs = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def row(tenant: uuid.UUID, status: str) -> dict[str, object]:
        return _ledger_row(tenant, command_id, status)

    async with stores.db.transaction() as conn:
        assert await ledger.record_processed_many(conn, [row(mine, "applied")])
    # The same id from another agency is another command, not a replay of the first.
    async with stores.db.transaction() as conn:
        assert await ledger.record_processed_many(conn, [row(theirs, "rejected")])
    async with stores.db.read() as conn:
        found = await ledger.get_processed_many(conn, [(mine, command_id), (theirs, command_id)])
        outcomes = await ledger.get_outcomes(conn, theirs, [command_id])
    assert found[(mine, command_id)]["status"] == "applied"
    assert found[(theirs, command_id)]["status"] == "rejected"
    assert outcomes == {command_id: ("rejected", None)}


async def test_profiles_written_in_bulk_replace_on_redelivery(stores: Stores) -> None:
    tenant, a, b = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await stores.mongo.put_profiles([(tenant, a, {"skills": [], "version": 1})])
    await stores.mongo.put_profiles(
        [(tenant, a, {"skills": [{"name": "Go"}], "version": 1}), (tenant, b, {"version": 1})]
    )
    found = await stores.mongo.get_profiles(tenant, [a, b])
    assert found[str(a)]["skills"] == [{"name": "Go"}]
    assert set(found) == {str(a), str(b)}


async def test_profiles_are_read_back_only_within_their_tenant(stores: Stores) -> None:
    tenant, other, cid = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await stores.mongo.put_profile(tenant, cid, {"skills": [{"name": "Go"}], "version": 1})
    # A redelivered write replaces, it does not duplicate.
    await stores.mongo.put_profile(tenant, cid, {"skills": [{"name": "Rust"}], "version": 1})
    assert (await stores.mongo.get_profiles(tenant, [cid]))[str(cid)]["skills"] == [
        {"name": "Rust"}
    ]
    assert await stores.mongo.get_profiles(other, [cid]) == {}
    await stores.mongo.delete_profile(cid)
    assert await stores.mongo.get_profiles(tenant, [cid]) == {}


async def test_outcomes_are_published_and_kept(stores: Stores) -> None:
    outcome = CommandOutcome(
        command_id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        type="candidate.create",
        status="applied",
        resource_id=uuid.uuid4(),
    )
    pubsub = stores.redis.client.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe("rt:outcomes")
    try:
        await stores.redis.record_outcomes([outcome])
        message = None
        for _ in range(50):
            message = await pubsub.get_message(timeout=0.1)
            if message and CommandOutcome.model_validate_json(message["data"]) == outcome:
                break
        assert message is not None
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
    assert await stores.redis.get_outcome(outcome.tenant_id, outcome.command_id) == outcome
    # Another agency asking for the same command id finds nothing.
    assert await stores.redis.get_outcome(uuid.uuid4(), outcome.command_id) is None
    # `accepted` never overwrites a recorded final outcome.
    await stores.redis.mark_accepted(outcome.model_copy(update={"status": "accepted"}))
    stored = await stores.redis.get_outcome(outcome.tenant_id, outcome.command_id)
    assert stored is not None
    assert stored.status == "applied"


async def test_the_resource_event_is_announced_never_kept(stores: Stores) -> None:
    """The sealed event rides on the announcement for the waiting gateway; the outcome kept
    24 h has ids and status only, and the clear resource goes nowhere."""
    tenant, cid = uuid.uuid4(), uuid.uuid4()
    event = EventEnvelope(
        event_id=uuid.uuid4(),
        type="candidate.created",
        tenant_id=tenant,
        aggregate_id=cid,
        version=1,
        occurred_at=utcnow(),
        caused_by=uuid.uuid4(),
        actor=Actor(id="u", kind="user"),
        data={"id": str(cid), "first_name": "rt1:sealed"},
        subject_id=cid,
    )
    outcome = CommandOutcome(
        command_id=uuid.uuid4(),
        tenant_id=tenant,
        type="candidate.create",
        status="applied",
        resource_id=cid,
        resource={"id": str(cid), "first_name": "Ada"},
        resource_event=event,
    )
    pubsub = stores.redis.client.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe("rt:outcomes")
    try:
        await stores.redis.record_outcomes([outcome])
        told = None
        for _ in range(50):
            message = await pubsub.get_message(timeout=0.1)
            if (
                message
                and (got := CommandOutcome.model_validate_json(message["data"])).command_id
                == outcome.command_id
            ):
                told = got
                break
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
    assert told is not None
    assert told.resource is None
    assert told.resource_event == event
    raw = await stores.redis.client.get(outcome_key(tenant, outcome.command_id))
    assert raw is not None
    assert b"Ada" not in raw
    assert b"rt1:" not in raw
    kept = await stores.redis.get_outcome(tenant, outcome.command_id)
    assert kept is not None
    assert kept.resource is None
    assert kept.resource_event is None


async def test_idempotency_key_is_claimed_once(stores: Stores) -> None:
    key = f"rt:idem:test:{uuid.uuid4()}"
    assert await stores.redis.claim_idempotency_key(key, {"command_id": "a"}) is None
    assert await stores.redis.claim_idempotency_key(key, {"command_id": "b"}) == {"command_id": "a"}


def _doc(tenant: uuid.UUID, cid: uuid.UUID, version: int, headline: str) -> dict[str, object]:
    now = utcnow().isoformat()
    return {
        "id": str(cid),
        "tenant_id": str(tenant),
        "full_name": "Ada Lovelace",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "headline": headline,
        "skills": ["Python"],
        "emails": [],
        "tags": [],
        "status": "active",
        "owner_id": None,
        "source": None,
        "city": None,
        "country": None,
        "remote": None,
        "available_from": None,
        "created_at": now,
        "updated_at": now,
        "version": version,
    }


async def test_search_index_never_goes_back_a_version(stores: Stores) -> None:
    tenant, cid = uuid.uuid4(), uuid.uuid4()
    await stores.search.bulk_index_candidates([_doc(tenant, cid, 2, "Newer headline")])
    await stores.search.bulk_index_candidates([_doc(tenant, cid, 1, "Older headline")])
    await stores.search.client.indices.refresh(index=stores.search.candidates_alias)
    found = await stores.search.search_candidates(
        tenant, parse_query("headline"), size=5, search_after=None
    )
    assert [h["_source"]["headline"] for h in found["hits"]["hits"]] == ["Newer headline"]
    other = await stores.search.search_candidates(
        uuid.uuid4(), parse_query("headline"), size=5, search_after=None
    )
    assert other["hits"]["hits"] == []


async def test_postgres_and_broker_answer(stores: Stores) -> None:
    await asyncio.wait_for(stores.db.ping(), 5)
    await asyncio.wait_for(stores.search.ping(), 5)
    await asyncio.wait_for(stores.mongo.ping(), 5)
