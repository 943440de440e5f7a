"""Fail fast, never a ghost write: a gateway that cannot reach the broker answers 503 in
seconds, and a command the broker takes after its deadline is refused, never applied."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from core.clock import utcnow
from tests.e2e.conftest import LOG_DIR, ROOT, Agency, System, login
from tests.e2e.helpers import candidate_body, eventually
from tests.harness.processes import free_port, spawn, stop, wait_for
from tests.support import admin_options
from topics.envelopes import Actor, CommandEnvelope
from topics.names import CANDIDATE_COMMANDS

pytestmark = pytest.mark.stack


async def _send(system: System, envelope: CommandEnvelope, key: str) -> None:
    producer = AIOKafkaProducer(**admin_options(system.settings), acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            CANDIDATE_COMMANDS.name(system.settings.topic_namespace),
            envelope.model_dump_json().encode(),
            key=key.encode(),
        )
    finally:
        await producer.stop()


def _create(agency: Agency, **fields: Any) -> tuple[CommandEnvelope, str]:
    candidate_id = str(uuid.uuid4())
    envelope = CommandEnvelope(
        command_id=uuid.uuid4(),
        type="candidate.create",
        tenant_id=agency.tenant_id,
        actor=Actor(id="a-test", kind="system"),
        payload={**candidate_body(), "candidate_id": candidate_id},
        **fields,
    )
    return envelope, candidate_id


async def _final(agency: Agency, command_id: uuid.UUID) -> dict[str, Any] | None:
    r = await agency.client.get(f"/api/v1/commands/{command_id}")
    body: dict[str, Any] = r.json()
    return body if r.status_code == 200 and body["status"] != "accepted" else None


async def test_a_command_the_broker_takes_after_its_deadline_is_never_applied(
    system: System, agency: Agency
) -> None:
    late, late_id = _create(agency, deadline=utcnow() - timedelta(seconds=1))
    on_time, on_time_id = _create(agency, deadline=utcnow() + timedelta(seconds=30))
    await _send(system, late, late_id)
    await _send(system, on_time, on_time_id)
    refused = await eventually(lambda: _final(agency, late.command_id), what="the late one")
    applied = await eventually(lambda: _final(agency, on_time.command_id), what="on time")
    assert refused["status"] == "rejected"
    assert refused["error"]["code"] == "deadline_passed"
    assert applied["status"] == "applied"
    assert (await agency.client.get(f"/api/v1/candidates/{late_id}")).status_code == 404
    assert (await agency.client.get(f"/api/v1/candidates/{on_time_id}")).status_code == 200
    # Sent again (a redelivery), it stays refused: the ledger has the verdict.
    await _send(system, late, late_id)
    assert (await agency.client.get(f"/api/v1/candidates/{late_id}")).status_code == 404


@pytest.fixture(scope="module")
def cut_off(system: System) -> Iterator[tuple[str, Path]]:
    """A gateway whose broker is not there (a port nothing listens on)."""
    port = free_port()
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}"}
    log = LOG_DIR / "cut-off-gateway.log"
    gateway = spawn(["gateway", "--port", str(port)], env, log, ROOT)
    base_url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(f"{base_url}/health", timeout=3).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(up, "the cut-off gateway", log, 90)
        yield base_url, log
    finally:
        stop(gateway)


async def test_without_a_broker_a_write_answers_503_within_seconds(
    system: System, agency: Agency, cut_off: tuple[str, Path]
) -> None:
    base_url, _ = cut_off
    username = (await agency.client.get("/api/v1/me")).json()["username"]
    token = await login(base_url, username)
    async with httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        timings = []
        for _ in range(3):
            started = time.monotonic()
            r = await client.post("/api/v1/candidates", json=candidate_body())
            timings.append(time.monotonic() - started)
            assert r.status_code == 503
            assert r.headers["content-type"].startswith("application/problem+json")
            assert int(r.headers["Retry-After"]) > 0
        # Reads do not need the broker.
        assert (await client.get("/api/v1/candidates")).status_code == 200
    assert max(timings) < 5, timings


async def test_a_write_refused_503_goes_through_when_retried_with_its_key(
    system: System, agency: Agency, cut_off: tuple[str, Path]
) -> None:
    base_url, _ = cut_off
    username = (await agency.client.get("/api/v1/me")).json()["username"]
    token = await login(base_url, username)
    body, key = candidate_body(), {"Idempotency-Key": f"retry-{uuid.uuid4().hex}"}
    async with httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as cut:
        refused = await cut.post("/api/v1/candidates", json=body, headers=key)
    assert refused.status_code == 503
    # The same request, same key, once the broker is reachable: a new attempt, applied.
    created = await agency.client.post("/api/v1/candidates", json=body, headers=key)
    assert created.status_code == 201, created.text
    again = await agency.client.post("/api/v1/candidates", json=body, headers=key)
    assert again.status_code == 201
    assert again.json()["id"] == created.json()["id"]
