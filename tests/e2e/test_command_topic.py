"""Integrations publish straight to the command topic: poison messages and replays."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from core.clock import utcnow
from tests.e2e.conftest import Agency, System
from tests.e2e.helpers import candidate_body, eventually, tail_topic
from tests.support import admin_options
from topics.envelopes import Actor, CommandEnvelope, EventEnvelope
from topics.names import CANDIDATE_COMMANDS, CANDIDATE_EVENTS

pytestmark = pytest.mark.stack


@pytest.fixture
async def producer(system: System) -> AsyncIterator[AIOKafkaProducer]:
    p = AIOKafkaProducer(**admin_options(system.settings), acks="all")
    await p.start()
    try:
        yield p
    finally:
        await p.stop()


async def _tail(system: System, topic: str) -> AIOKafkaConsumer:
    return await tail_topic(system.settings, topic)


async def _collect(consumer: AIOKafkaConsumer, seconds: float) -> list[Any]:
    records: list[Any] = []
    deadline = asyncio.get_running_loop().time() + seconds
    while (left := deadline - asyncio.get_running_loop().time()) > 0:
        batch = await consumer.getmany(timeout_ms=int(min(left, 0.5) * 1000))
        for items in batch.values():
            records.extend(items)
    return records


def _commands(system: System) -> str:
    return CANDIDATE_COMMANDS.name(system.settings.topic_namespace)


def _envelope(agency: Agency, candidate_id: uuid.UUID, **fields: Any) -> CommandEnvelope:
    return CommandEnvelope(
        command_id=uuid.uuid4(),
        type="candidate.create",
        tenant_id=agency.tenant_id,
        actor=Actor(id="integration:job-board", kind="api_key"),
        issued_at=utcnow(),
        payload={**candidate_body(**fields), "candidate_id": str(candidate_id)},
    )


async def test_poison_message_goes_to_the_dlq_and_the_agent_keeps_going(
    system: System, agency: Agency, producer: AIOKafkaProducer
) -> None:
    dlq = await _tail(system, CANDIDATE_COMMANDS.dlq(system.settings.topic_namespace))
    try:
        poison_key = uuid.uuid4().hex.encode()
        await producer.send_and_wait(_commands(system), b"\x00{garbage", key=poison_key)
        half = b'{"command_id": "nope", "type": "candidate.create"}'
        await producer.send_and_wait(_commands(system), half, key=poison_key)

        seen: list[Any] = []

        async def dead_letters() -> list[Any]:
            seen.extend(r for r in await _collect(dlq, 1.0) if r.key == poison_key)
            return seen if len(seen) >= 2 else []

        records = await eventually(dead_letters, timeout=30, what="two DLQ entries")
    finally:
        await dlq.stop()
    assert [r.value for r in records] == [b"\x00{garbage", half]
    reasons = [dict(r.headers)["reason"].decode() for r in records]
    assert all(reason.startswith("unparseable command envelope") for reason in reasons)
    assert "command_id" in reasons[1]

    # The same agent still applies the next good command.
    response = await agency.client.post("/api/v1/candidates", json=candidate_body())
    assert response.status_code == 201


async def test_a_replayed_command_changes_nothing(
    system: System, agency: Agency, producer: AIOKafkaProducer
) -> None:
    candidate_id = uuid.uuid4()
    envelope = _envelope(agency, candidate_id)
    raw = envelope.model_dump_json().encode()
    events = await _tail(system, CANDIDATE_EVENTS.name(system.settings.topic_namespace))
    try:
        await producer.send_and_wait(_commands(system), raw, key=str(candidate_id).encode())

        async def visible() -> bool:
            r = await agency.client.get(f"/api/v1/candidates/{candidate_id}")
            return r.status_code == 200

        await eventually(visible, what="the integration's candidate")
        # The same command again, and a different command for the same candidate id.
        await producer.send_and_wait(_commands(system), raw, key=str(candidate_id).encode())
        clash = _envelope(agency, candidate_id).model_dump_json().encode()
        await producer.send_and_wait(_commands(system), clash, key=str(candidate_id).encode())
        status = await eventually(
            lambda: _status_if_final(agency, envelope.command_id), what="the replay's outcome"
        )
        records = await _collect(events, 3.0)
    finally:
        await events.stop()

    assert status["status"] == "applied"
    assert status["resource_id"] == str(candidate_id)
    listed = (await agency.client.get("/api/v1/candidates")).json()["items"]
    assert [c["id"] for c in listed] == [str(candidate_id)]
    assert listed[0]["version"] == 1
    assert listed[0]["source"] == "referral"
    ours = [
        EventEnvelope.model_validate_json(r.value)
        for r in records
        if r.key == str(candidate_id).encode()
    ]
    # The replay may re-emit the recorded event, but always as the same event.
    assert ours, "candidate.created was not emitted"
    assert {e.event_id for e in ours} == {ours[0].event_id}
    assert {e.type for e in ours} == {"candidate.created"}


async def _status_if_final(agency: Agency, command_id: uuid.UUID) -> dict[str, Any] | None:
    r = await agency.client.get(f"/api/v1/commands/{command_id}")
    if r.status_code != 200:
        return None
    body: dict[str, Any] = r.json()
    return body if body["status"] != "accepted" else None


async def test_a_burst_from_an_integration_keeps_one_of_two_same_emails(
    system: System, agency: Agency, producer: AIOKafkaProducer
) -> None:
    email = f"burst.{uuid.uuid4().hex[:8]}@example.com"
    first, second, third = (
        _envelope(agency, uuid.uuid4(), emails=[email]),
        _envelope(agency, uuid.uuid4(), emails=[email.upper()]),
        _envelope(agency, uuid.uuid4()),
    )
    # Sent back to back, so the agent usually takes them in one batch.
    for envelope in (first, second, third):
        key = envelope.payload["candidate_id"].encode()
        await producer.send(_commands(system), envelope.model_dump_json().encode(), key=key)
    await producer.flush()
    outcomes = [
        await eventually(lambda e=e: _status_if_final(agency, e.command_id), what="an outcome")
        for e in (first, second, third)
    ]
    # Different candidates travel on different partitions, so either may come first;
    # exactly one wins and the other names it.
    pair = {o["status"]: o for o in outcomes[:2]}
    assert set(pair) == {"applied", "rejected"}
    assert pair["rejected"]["error"]["code"] == "duplicate"
    assert pair["rejected"]["error"]["duplicate_of"] == pair["applied"]["resource_id"]
    assert outcomes[2]["status"] == "applied"


async def test_two_agencies_may_use_the_same_command_id(
    system: System, agency: Agency, other_agency: Agency, producer: AIOKafkaProducer
) -> None:
    ours, theirs = _envelope(agency, uuid.uuid4()), _envelope(other_agency, uuid.uuid4())
    theirs = theirs.model_copy(update={"command_id": ours.command_id})
    for envelope in (ours, theirs):
        key = envelope.payload["candidate_id"].encode()
        await producer.send_and_wait(
            _commands(system), envelope.model_dump_json().encode(), key=key
        )
    mine = await eventually(lambda: _status_if_final(agency, ours.command_id), what="ours")
    other = await eventually(
        lambda: _status_if_final(other_agency, theirs.command_id), what="theirs"
    )
    # Each agency's command was applied as its own, not replayed from the other's.
    assert mine["resource_id"] == ours.payload["candidate_id"]
    assert other["resource_id"] == theirs.payload["candidate_id"]
    for who, envelope in ((agency, ours), (other_agency, theirs)):
        r = await who.client.get(f"/api/v1/candidates/{envelope.payload['candidate_id']}")
        assert r.status_code == 200
