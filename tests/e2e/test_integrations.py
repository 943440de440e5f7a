"""Integrations over Kafka, as a job board would use them: its own login, its own command
topic, its agency's event topic, and nothing it writes acts beyond its agency and role."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError

from app.jobs.integrations import IntegrationCredentials, create_integration, revoke_integration
from core.clock import utcnow
from tests.e2e.conftest import Agency, System
from tests.e2e.helpers import (
    candidate_body,
    eventually,
    integration_login,
    send_as_integration,
    tail_topic,
)
from topics.envelopes import Actor, CommandEnvelope
from topics.names import CANDIDATE_COMMANDS, integrations_dlq

pytestmark = pytest.mark.stack


def _create(tenant_id: uuid.UUID | str, candidate_id: uuid.UUID) -> CommandEnvelope:
    return CommandEnvelope(
        command_id=uuid.uuid4(),
        type="candidate.create",
        tenant_id=uuid.UUID(str(tenant_id)),
        # A claim the gate must ignore: the integration is the actor, whatever it says.
        actor=Actor(id="the-boss", kind="user"),
        issued_at=utcnow(),
        payload={**candidate_body(), "candidate_id": str(candidate_id)},
    )


async def _events(made: IntegrationCredentials, seconds: float) -> list[dict[str, Any]]:
    consumer = AIOKafkaConsumer(
        made.event_topic,
        **integration_login(made),
        group_id=f"{made.consumer_group_prefix}reader-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: list[dict[str, Any]] = []
    try:
        deadline = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            found.extend(orjson.loads(r.value) for rs in batch.values() for r in rs if r.value)
    finally:
        await consumer.stop()
    return found


async def test_an_integration_acts_as_its_own_agency_and_role(
    system: System, agency: Agency, other_agency: Agency, job_board: IntegrationCredentials
) -> None:
    dlq = await tail_topic(system.settings, integrations_dlq(system.settings.topic_namespace))
    try:
        mine, theirs = uuid.uuid4(), uuid.uuid4()
        await send_as_integration(job_board, _create(agency.tenant_id, mine), str(mine))

        async def applied() -> bool:
            r = await agency.client.get(f"/api/v1/candidates/{mine}")
            return r.status_code == 200

        await eventually(applied, timeout=30, what="the integration's candidate")
        # A command that claims another agency is refused, not applied there.
        stray = _create(other_agency.tenant_id, theirs)
        await send_as_integration(job_board, stray, str(theirs))
        # A command beyond its scopes (erasure) is refused too.
        erase = CommandEnvelope(
            command_id=uuid.uuid4(),
            type="candidate.erase",
            tenant_id=agency.tenant_id,
            actor=Actor(id="the-boss", kind="user"),
            payload={"candidate_id": str(mine)},
        )
        await send_as_integration(job_board, erase, str(mine))

        async def rejected(command_id: uuid.UUID) -> dict[str, Any] | None:
            r = await agency.client.get(f"/api/v1/commands/{command_id}")
            body: dict[str, Any] = r.json()
            return body if r.status_code == 200 and body["status"] == "rejected" else None

        wrong = await eventually(lambda: rejected(stray.command_id), what="the stray refused")
        assert wrong["error"]["code"] == "wrong_agency"
        forbidden = await eventually(lambda: rejected(erase.command_id), what="erase refused")
        assert forbidden["error"]["code"] == "forbidden"
        assert "candidates:erase" in forbidden["error"]["message"]
        assert (await agency.client.get(f"/api/v1/candidates/{mine}")).status_code == 200
        for who in (agency, other_agency):
            assert (await who.client.get(f"/api/v1/candidates/{theirs}")).status_code == 404

        # What the integration reads: its agency's events, its refusals, nobody else's.
        events = await _events(job_board, 6.0)
        created = [e for e in events if e["type"] == "candidate.created"]
        assert [e["aggregate_id"] for e in created] == [str(mine)]
        assert created[0]["actor"] == {"id": job_board.integration_id, "kind": "integration"}
        refusals = {
            e["data"]["command_id"]: e["data"]["error"]["code"]
            for e in events
            if e["type"] == "command.rejected"
        }
        assert refusals == {
            str(stray.command_id): "wrong_agency",
            str(erase.command_id): "forbidden",
        }
        assert {e["tenant_id"] for e in events} == {str(agency.tenant_id)}

        # Operators find each refusal in the DLQ with its reason.
        records = []
        deadline = asyncio.get_running_loop().time() + 5
        while asyncio.get_running_loop().time() < deadline and len(records) < 2:
            batch = await dlq.getmany(timeout_ms=500)
            records.extend(r for rs in batch.values() for r in rs)
        reasons = sorted(dict(r.headers)["reason"].decode().split(":")[0] for r in records)
        assert reasons == ["forbidden", "wrong_agency"]
    finally:
        await dlq.stop()


async def test_an_integration_cannot_step_outside_its_topics(
    system: System, other_agency: Agency, job_board: IntegrationCredentials
) -> None:
    ns = system.settings.topic_namespace
    producer = AIOKafkaProducer(**integration_login(job_board), acks="all")
    await producer.start()
    try:
        with pytest.raises(KafkaError):
            await asyncio.wait_for(
                producer.send_and_wait(CANDIDATE_COMMANDS.name(ns), b"{}", key=b"x"), 20
            )
    finally:
        await producer.stop()
    theirs = job_board.event_topic.replace(job_board.tenant_id, str(other_agency.tenant_id))
    consumer = AIOKafkaConsumer(
        theirs,
        **integration_login(job_board),
        group_id=f"{job_board.consumer_group_prefix}snoop",
        auto_offset_reset="earliest",
    )
    try:
        with pytest.raises(KafkaError):
            await _first_read(consumer)
    finally:
        await consumer.stop()


async def _first_read(consumer: AIOKafkaConsumer) -> None:
    await consumer.start()
    await asyncio.wait_for(consumer.getmany(timeout_ms=3000), 20)


async def test_a_revoked_integration_can_no_longer_log_in(system: System, agency: Agency) -> None:
    made = await create_integration(system.settings, tenant=agency.slug, name="old-board")
    assert made.scopes == sorted(s for s in made.scopes if s.endswith(":read"))
    assert await revoke_integration(system.settings, uuid.UUID(made.integration_id))
    producer = AIOKafkaProducer(**integration_login(made), acks="all", request_timeout_ms=5000)
    with pytest.raises(KafkaError):
        await asyncio.wait_for(producer.start(), 20)
    await producer.stop()
