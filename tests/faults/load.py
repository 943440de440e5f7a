"""The load a scenario offers: HTTP creates at a steady rate, and commands on a topic.

Every command carries a marker of its own (a unique email), so the audit can tell which
ones the stores hold, however they got there. Times are wall-clock (`time.time()`), the
clock the worker stamps `created_at` and `updated_at` with on this machine.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import aiohttp
from aiokafka import AIOKafkaProducer

from core.clock import utcnow
from core.settings import Settings
from stores.kafka_auth import client_options
from topics.envelopes import Actor, CommandEnvelope

# A request not answered in this long has failed, as far as its client is concerned.
CLIENT_TIMEOUT_SECONDS = 30.0


def marker(run: str, kind: str, i: int) -> str:
    """The command's own email: lower case, as the store keeps it."""
    return f"{kind}.{i}.{run}@faults.example.com"


def candidate_body(email: str, i: int) -> dict[str, Any]:
    return {
        "first_name": "Fault",
        "last_name": f"Load{i}",
        "emails": [email],
        "headline": "Site Reliability Engineer",
        "location": {"city": "Lisbon", "country": "PT", "remote": True},
        "skills": [{"name": "Python", "years": 5}, {"name": "Kafka"}],
        "tags": ["faults"],
    }


@dataclass
class HttpCommand:
    """One POST and what became of it, as its client saw it."""

    index: int
    marker: str
    sent_at: float
    answered_at: float | None = None
    status: int | None = None  # None: no answer (timeout, connection refused or reset)
    command_id: str | None = None
    error: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def seconds(self) -> float | None:
        return None if self.answered_at is None else self.answered_at - self.sent_at


@dataclass
class HttpLoad:
    """Open-loop creates with `Prefer: respond-async`: `rate` a second, whatever the answers.

    At most `in_flight` requests wait at once (a stalled gateway would otherwise collect
    thousands of sockets); past that the sender waits too, which shows in the achieved rate.
    """

    base_url: str
    token: str
    run: str
    rate: float
    count: int
    in_flight: int = 256
    # Past `count`, go on at the same rate while this says so (a fault not yet over).
    more: Callable[[], bool] | None = None
    commands: list[HttpCommand] = field(default_factory=list)
    started_at: float = 0.0
    finished_at: float = 0.0

    async def run_load(self, on_progress: Callable[[int], None] | None = None) -> None:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Prefer": "respond-async",
            "Content-Type": "application/json",
        }
        gate = asyncio.Semaphore(self.in_flight)
        timeout = aiohttp.ClientTimeout(total=CLIENT_TIMEOUT_SECONDS)
        connector = aiohttp.TCPConnector(limit=self.in_flight)
        async with aiohttp.ClientSession(
            self.base_url, headers=headers, timeout=timeout, connector=connector
        ) as session:

            async def one(cmd: HttpCommand, body: bytes) -> None:
                try:
                    async with session.post("/api/v1/candidates", data=body) as r:
                        text = await r.text()
                        cmd.status = r.status
                        if r.status == 202:
                            cmd.command_id = str(json.loads(text)["command_id"])
                        elif r.status >= 300:
                            cmd.error = f"{r.headers.get('Retry-After', '-')} {text[:300]}"
                except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                    cmd.error = repr(exc)[:300]
                finally:
                    cmd.answered_at = time.time()
                    gate.release()

            tasks = []
            self.started_at = t0 = time.time()
            for i in itertools.count():
                if i >= self.count and not (self.more is not None and self.more()):
                    break
                await asyncio.sleep(max(0.0, t0 + i / self.rate - time.time()))
                await gate.acquire()
                email = marker(self.run, "http", i)
                cmd = HttpCommand(i, email, time.time())
                self.commands.append(cmd)
                body = json.dumps(candidate_body(email, i)).encode()
                tasks.append(asyncio.create_task(one(cmd, body)))
                if on_progress is not None:
                    on_progress(i + 1)
            await asyncio.gather(*tasks)
            self.finished_at = time.time()

    @property
    def achieved_rate(self) -> float:
        span = max(self.finished_at - self.started_at, 1e-9)
        return len(self.commands) / span


@dataclass
class TopicCommand:
    """A command published to a command topic, and where the broker put it."""

    envelope: CommandEnvelope
    key: str
    marker: str | None  # the email of a create; None for an update
    sent_at: float
    acked_at: float | None = None
    partition: int | None = None
    offset: int | None = None
    error: str | None = None

    @property
    def accepted(self) -> bool:
        return self.offset is not None


def create_envelope(tenant_id: UUID, email: str, i: int) -> CommandEnvelope:
    candidate_id = uuid.uuid4()
    return CommandEnvelope(
        command_id=uuid.uuid4(),
        type="candidate.create",
        tenant_id=tenant_id,
        actor=Actor(id="fault-suite", kind="system"),
        issued_at=utcnow(),
        payload={**candidate_body(email, i), "candidate_id": str(candidate_id)},
    )


def update_envelope(tenant_id: UUID, candidate_id: str, i: int) -> CommandEnvelope:
    return CommandEnvelope(
        command_id=uuid.uuid4(),
        type="candidate.update",
        tenant_id=tenant_id,
        actor=Actor(id="fault-suite", kind="system"),
        issued_at=utcnow(),
        payload={"candidate_id": candidate_id, "changes": {"headline": f"Updated {i}"}},
    )


def jobs_producer(settings: Settings) -> AIOKafkaProducer:
    """The jobs principal's producer: it may write the command topics, nothing else."""
    return AIOKafkaProducer(
        **client_options(settings, settings.kafka_login("jobs")),
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
    )


@dataclass
class TopicLoad:
    """Creates, each followed by an update of the same candidate (so its version must end
    at exactly 2), published at `rate` commands a second as the jobs principal."""

    settings: Settings
    topic: str
    tenant_id: UUID
    run: str
    rate: float
    pairs: int
    commands: list[TopicCommand] = field(default_factory=list)
    started_at: float = 0.0
    finished_at: float = 0.0

    async def run_load(self) -> None:
        producer = jobs_producer(self.settings)
        await producer.start()
        try:
            pending: list[asyncio.Task[None]] = []
            self.started_at = t0 = time.time()
            for i in range(self.pairs):
                await asyncio.sleep(max(0.0, t0 + 2 * i / self.rate - time.time()))
                email = marker(self.run, "topic", i)
                create = create_envelope(self.tenant_id, email, i)
                key = str(create.payload["candidate_id"])
                update = update_envelope(self.tenant_id, key, i)
                for envelope, mark in ((create, email), (update, None)):
                    cmd = TopicCommand(envelope, key, mark, time.time())
                    self.commands.append(cmd)
                    sent = await producer.send(
                        self.topic, envelope.model_dump_json().encode(), key=key.encode()
                    )
                    pending.append(asyncio.create_task(_acked(cmd, sent)))
            await asyncio.gather(*pending)
            self.finished_at = time.time()
        finally:
            await producer.stop()


async def _acked(cmd: TopicCommand, sent: asyncio.Future[Any]) -> None:
    try:
        meta = await sent
        cmd.partition, cmd.offset = meta.partition, meta.offset
    except Exception as exc:
        cmd.error = repr(exc)[:300]
    cmd.acked_at = time.time()


async def publish_raw(
    settings: Settings, topic: str, messages: Sequence[tuple[bytes | None, bytes | None]]
) -> list[tuple[int, int]]:
    """Publish (key, value) pairs in order as the jobs principal; (partition, offset) of each."""
    producer = jobs_producer(settings)
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key) for key, value in messages]
        metas = await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return [(m.partition, m.offset) for m in metas]
