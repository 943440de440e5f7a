"""Live analytics figures: event → dashboard latency, and throughput against a no-op agent.

- Latency: submission events are produced at a steady rate straight onto the pipeline
  event topic (as the pipeline agent emits them) while an SSE client follows
  `/api/v1/analytics/stream`; each event counts one more submission in `sourced`, so an
  update showing k of them received every event up to the k-th, whose latency is then
  (received - produced).
- Throughput: a backlog of submission events (each submission moving through five
  stages, over twenty agencies) on a namespace of its own, read by a process running only
  the analytics agents, then by a no-op Faust agent that only counts, in the same run.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from bench.environment import RESULTS
from core.settings import Settings
from stores.kafka import ensure_topics
from stores.kafka_access import grant_access, revoke_access
from stores.kafka_auth import client_options
from topics.envelopes import Actor, EventEnvelope
from topics.names import PIPELINE_EVENTS

ROOT = Path(__file__).resolve().parent.parent
STAGES = ["sourced", "screened", "submitted", "client_review", "interviewing"]


def submission_event(
    tenant: uuid.UUID, submission: uuid.UUID, requisition: uuid.UUID, step: int, at: datetime
) -> EventEnvelope:
    history = [
        {
            "from": STAGES[i - 1] if i else None,
            "to": STAGES[i],
            "at": (at + timedelta(minutes=i)).isoformat(),
            "actor": "user:bench",
        }
        for i in range(step + 1)
    ]
    return EventEnvelope(
        event_id=uuid.uuid5(submission, str(step)),
        type="submission.created" if step == 0 else "submission.stage_changed",
        tenant_id=tenant,
        aggregate_id=submission,
        version=step + 1,
        occurred_at=at,
        caused_by=uuid.uuid4(),
        actor=Actor(id="bench"),
        data={
            "id": str(submission),
            "tenant_id": str(tenant),
            "candidate_id": str(uuid.uuid5(submission, "candidate")),
            "requisition_id": str(requisition),
            "stage": STAGES[step],
            "history": history,
            "version": step + 1,
        },
    )


async def sse_latency(
    base_url: str, token: str, tenant: uuid.UUID, settings: Settings, rate: float, seconds: float
) -> list[float]:
    """Seconds from producing each event to the SSE update that first shows it."""
    total = int(rate * seconds)
    produced: list[float] = []
    received: list[float] = []
    snapshot = asyncio.Event()
    topic = PIPELINE_EVENTS.name(settings.topic_namespace)
    requisition = uuid.uuid4()

    async def follow() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            httpx.AsyncClient(base_url=base_url, headers=headers, timeout=None) as client,
            client.stream("GET", "/api/v1/analytics/stream") as response,
        ):
            async for line in response.aiter_lines():
                if not line.startswith("data: "):
                    continue
                now = time.perf_counter()
                snapshot.set()
                seen = json.loads(line[6:])["slice"]["funnel"]["current"]["sourced"]
                while len(received) < min(seen, len(produced)):
                    received.append(now - produced[len(received)])
                if len(received) >= total:
                    return

    reader = asyncio.create_task(follow())
    await asyncio.wait_for(snapshot.wait(), 30)
    # The benchmark stands in for the worker's agents, as the admin (bench tooling).
    producer = AIOKafkaProducer(
        **client_options(settings, settings.kafka_login("admin")), acks="all"
    )
    await producer.start()
    try:
        started = time.perf_counter()
        for i in range(total):
            await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
            event = submission_event(tenant, uuid.uuid4(), requisition, 0, datetime.now(UTC))
            produced.append(time.perf_counter())
            await producer.send_and_wait(
                topic, event.model_dump_json().encode(), key=str(event.aggregate_id).encode()
            )
        await asyncio.wait_for(reader, timeout=60)
    finally:
        reader.cancel()
        await producer.stop()
    return received


async def _run(module: str, args: list[str], env: dict[str, str], out: Path) -> dict[str, Any]:
    """Run a timing process; it writes its count and seconds to `out` as JSON."""
    await asyncio.to_thread(out.unlink, missing_ok=True)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        *args,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    await asyncio.wait_for(proc.wait(), timeout=600)
    result: dict[str, Any] = json.loads(await asyncio.to_thread(out.read_text))
    return result


async def analytics_throughput(settings: Settings, n: int) -> dict[str, float]:
    """Events/s through the analytics agents, and through a no-op agent, same backlog."""
    namespace = f"rt-bench-analytics-{uuid.uuid4().hex[:6]}"
    own = settings.model_copy(update={"topic_namespace": namespace, "worker_id": namespace})
    await ensure_topics(own)
    # The timed workers log in as the worker principal: it needs its ACLs here too.
    await grant_access(own)
    topic = PIPELINE_EVENTS.name(namespace)
    admin_login = client_options(settings, settings.kafka_login("admin"))
    producer = AIOKafkaProducer(**admin_login, acks="all", linger_ms=5)
    await producer.start()
    agencies = [(uuid.uuid4(), uuid.uuid4()) for _ in range(20)]
    at = datetime.now(UTC)
    sent = submissions = 0
    try:
        while sent < n:
            tenant, requisition = agencies[submissions % len(agencies)]
            submissions += 1
            submission = uuid.uuid4()
            for step in range(min(len(STAGES), n - sent)):
                event = submission_event(tenant, submission, requisition, step, at)
                await producer.send(
                    topic, event.model_dump_json().encode(), key=str(submission).encode()
                )
                sent += 1
        await producer.flush()
    finally:
        await producer.stop()
    env = {**os.environ, "TOPIC_NAMESPACE": namespace, "WORKER_ID": namespace}
    results = RESULTS
    measured = await _run(
        "bench.analytics_worker",
        [str(n), str(results / "analytics.json")],
        env,
        results / "analytics.json",
    )
    noop = await _run(
        "bench.noop_worker",
        [topic, str(n), str(results / "noop-analytics.json")],
        env,
        results / "noop-analytics.json",
    )
    admin = AIOKafkaAdminClient(**admin_login)
    await admin.start()
    try:
        ours = [t for t in await admin.list_topics() if t.startswith(namespace)]
        await admin.delete_topics(ours)
    finally:
        await admin.close()
    await revoke_access(own)
    return {
        "analytics_rate": measured["count"] / measured["seconds"],
        "noop_rate": noop["count"] / noop["seconds"],
    }
