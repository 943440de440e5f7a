"""A worker killed mid-stream loses nothing and applies nothing twice."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import func, select

from app.jobs.accounts import create_user
from core.clock import utcnow
from core.settings import Settings
from stores.postgres.database import Database
from stores.postgres.tables import candidate_contact_points, candidates, processed_commands
from tests.e2e.conftest import LOG_DIR, ROOT, System
from tests.e2e.helpers import candidate_body, eventually
from tests.harness.processes import spawn, stop, wait_for
from tests.support import admin_options, own_namespace
from topics.envelopes import Actor, CommandEnvelope, EventEnvelope
from topics.names import CANDIDATE_COMMANDS, CANDIDATE_EVENTS

pytestmark = pytest.mark.stack

COMMANDS = 1500


@pytest.fixture
async def crash_settings(system: System) -> AsyncIterator[Settings]:
    """A namespace and consumer group of its own, so only this test's worker is involved."""
    async with own_namespace(system.settings, "rt-crash") as settings:
        yield settings


async def _count(db: Database, table: object, where: object) -> int:
    async with db.read() as conn:
        result = await conn.execute(select(func.count()).select_from(table).where(where))  # type: ignore[arg-type]
        return int(result.scalar_one())


async def test_kill_9_mid_stream_then_restart(crash_settings: Settings) -> None:
    settings = crash_settings
    tenant_id, _ = await create_user(
        settings,
        tenant=f"crash-{uuid.uuid4().hex[:8]}",
        username=f"crash-{uuid.uuid4().hex}",
        password="crash-password",
        role="recruiter",
    )
    envelopes = [
        CommandEnvelope(
            command_id=uuid.uuid4(),
            type="candidate.create",
            tenant_id=tenant_id,
            actor=Actor(id="integration:test", kind="api_key"),
            issued_at=utcnow(),
            payload={**candidate_body(), "candidate_id": str(uuid.uuid4())},
        )
        for _ in range(COMMANDS)
    ]
    producer = AIOKafkaProducer(**admin_options(settings), acks="all")
    await producer.start()
    for e in envelopes:
        await producer.send(
            CANDIDATE_COMMANDS.name(settings.topic_namespace),
            e.model_dump_json().encode(),
            key=e.payload["candidate_id"].encode(),
        )
    await producer.flush()
    await producer.stop()

    env = {
        **os.environ,
        "TOPIC_NAMESPACE": settings.topic_namespace,
        "WORKER_ID": settings.worker_id,
        "WORKER_DATA_DIR": str(Path(settings.worker_data_dir) / settings.worker_id),
    }
    db = Database(settings)
    await db.start()
    mine = candidates.c.tenant_id == tenant_id
    try:
        first_log = LOG_DIR / "crash-worker-1.log"
        first = spawn(["worker"], env, first_log, ROOT)
        try:

            async def started() -> bool:
                return await _count(db, candidates, mine) > 0

            await eventually(started, timeout=120, what="a first applied create", interval=0.005)
            first.send_signal(signal.SIGKILL)
            first.wait()
        finally:
            stop(first)
        at_kill = await _count(db, candidates, mine)
        assert at_kill > 0, f"the first worker applied nothing; log {first_log}"

        second_log = LOG_DIR / "crash-worker-2.log"
        second = spawn(["worker"], env, second_log, ROOT)
        try:
            wait_for(lambda: b"Ready" in second_log.read_bytes(), "the worker", second_log, 120)

            async def all_applied() -> bool:
                return await _count(db, candidates, mine) >= COMMANDS

            await eventually(all_applied, timeout=120, what=f"{COMMANDS} candidates")
        finally:
            stop(second)

        ids = [e.command_id for e in envelopes]
        assert await _count(db, candidates, mine) == COMMANDS
        assert await _count(db, processed_commands, processed_commands.c.command_id.in_(ids)) == (
            COMMANDS
        )
        assert (
            await _count(
                db, candidate_contact_points, candidate_contact_points.c.tenant_id == tenant_id
            )
            == COMMANDS
        )
        async with db.read() as conn:
            versions = set((await conn.execute(select(candidates.c.version).where(mine))).scalars())
        assert versions == {1}
    finally:
        await db.stop()

    # Every candidate's event was emitted; a redelivery re-emits the very same event.
    consumer = AIOKafkaConsumer(
        **admin_options(settings),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    topic = CANDIDATE_EVENTS.name(settings.topic_namespace)
    consumer.assign([TopicPartition(topic, p) for p in range(settings.kafka_partitions)])
    seen: dict[str, set[uuid.UUID]] = {}
    try:
        deadline = time.monotonic() + 30
        while len(seen) < COMMANDS and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for r in records:
                    event = EventEnvelope.model_validate_json(r.value)
                    seen.setdefault(str(event.aggregate_id), set()).add(event.event_id)
    finally:
        await consumer.stop()
    assert len(seen) == COMMANDS
    assert all(len(ids) == 1 for ids in seen.values())
