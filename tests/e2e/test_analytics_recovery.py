"""Analytics tables survive restarts and partitions moving between two workers.

Domain events are published straight to the event topics (as the agents would emit
them, with duplicates and some out of order) for several agencies, so their records
spread over every partition. Between rounds a second worker joins (partitions move to
it), the first is killed (the second takes over everything from the changelogs), and a
fresh worker replaces both. After each round every agency's views must equal the sums
of everything sent so far: nothing lost, nothing counted twice.
"""

from __future__ import annotations

import os
import random
import re
import signal
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from agents.analytics.state import AnalyticsState, MemoryTable
from core.settings import Settings
from domain.analytics.views import slice_view
from stores.analytics_views import read_view
from stores.bundle import Stores
from tests.e2e.conftest import LOG_DIR, ROOT, System
from tests.e2e.helpers import eventually
from tests.harness.processes import spawn, stop, wait_for
from tests.support import admin_options, own_namespace
from topics.envelopes import Actor, EventEnvelope
from topics.names import CANDIDATE_EVENTS, PIPELINE_EVENTS, REQUISITION_EVENTS

pytestmark = pytest.mark.stack

AGENCIES = 8
SUBMISSIONS = 12
PATH = ["sourced", "screened", "submitted", "client_review", "interviewing", "offered"]
T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.fixture
async def own_settings(system: System) -> AsyncIterator[Settings]:
    async with own_namespace(system.settings, "rt-analytics") as settings:
        yield settings


def _event(tenant: uuid.UUID, kind: str, aggregate: str, version: int, data: Any) -> EventEnvelope:
    return EventEnvelope(
        event_id=uuid.uuid5(uuid.UUID(aggregate), f"{kind}:{version}"),
        type=kind,
        tenant_id=tenant,
        aggregate_id=uuid.UUID(aggregate),
        version=version,
        occurred_at=T0,
        caused_by=uuid.uuid4(),
        actor=Actor(id="test"),
        data=data,
    )


class Agency:
    """One agency's records, advanced a stage at a time round by round."""

    def __init__(self, rng: random.Random) -> None:
        self.tenant = uuid.uuid4()
        self.rng = rng
        self.req = str(uuid.uuid4())
        self.person = str(uuid.uuid4())
        self.subs = [
            {"id": str(uuid.uuid4()), "history": [], "version": 0} for _ in range(SUBMISSIONS)
        ]

    def opening(self) -> list[tuple[str, EventEnvelope]]:
        req = {
            "id": self.req,
            "tenant_id": str(self.tenant),
            "client_id": str(uuid.uuid4()),
            "status": "open",
            "priority": "warm",
            "opened_at": T0.isoformat(),
            "version": 1,
        }
        person = {
            "id": self.person,
            "tenant_id": str(self.tenant),
            "source": "referral",
            "version": 1,
        }
        return [
            (
                REQUISITION_EVENTS.domain,
                _event(self.tenant, "requisition.created", self.req, 1, req),
            ),
            (
                CANDIDATE_EVENTS.domain,
                _event(self.tenant, "candidate.created", self.person, 1, person),
            ),
        ]

    def advance(self, hours: int) -> list[tuple[str, EventEnvelope]]:
        out = []
        for s in self.subs:
            step = len(s["history"])
            if step >= len(PATH) or self.rng.random() < 0.3:
                continue
            at = T0 + timedelta(hours=hours, minutes=self.rng.randrange(60))
            previous = s["history"][-1]["to"] if s["history"] else None
            s["history"].append(
                {"from": previous, "to": PATH[step], "at": at.isoformat(), "actor": "user:r"}
            )
            s["version"] += 1
            data = {
                "id": s["id"],
                "tenant_id": str(self.tenant),
                "candidate_id": self.person,
                "requisition_id": self.req,
                "stage": PATH[step],
                "history": list(s["history"]),
                "version": s["version"],
            }
            kind = "submission.created" if step == 0 else "submission.stage_changed"
            out.append(
                (PIPELINE_EVENTS.domain, _event(self.tenant, kind, s["id"], s["version"], data))
            )
        return out


async def _publish(
    settings: Settings, events: list[tuple[str, EventEnvelope]], rng: random.Random
) -> None:
    """Each event once or twice; some agencies' submissions out of order."""
    producer = AIOKafkaProducer(**admin_options(settings), acks="all")
    await producer.start()
    try:
        sends = events + rng.sample(events, len(events) // 4)
        rng.shuffle(sends)
        for domain, e in sends:
            topic = f"{settings.topic_namespace}.{domain}.events"
            await producer.send(
                topic, e.model_dump_json().encode(), key=str(e.aggregate_id).encode()
            )
        await producer.flush()
    finally:
        await producer.stop()


async def _views_match(settings: Settings, expected: AnalyticsState) -> bool:
    stores = Stores(settings)
    await stores.start()
    try:
        for tenant, agg in expected.tenants.items():
            want = slice_view(agg.slices[("all", "")])
            got = await read_view(stores.redis, tenant, "slice|all")
            if (
                got is None
                or got["funnel"] != want["funnel"]
                or got["time_in_stage"] != want["time_in_stage"]
            ):
                return False
        return True
    finally:
        await stores.stop()


@pytest.mark.xfail(
    strict=False,
    reason="known bug, open: about one run in four on a loaded machine, the views stop "
    "converging after a second worker joins (round 2 waits out its 90 s, with no further "
    "rebalance in either worker's log); it runs in every suite and reports XPASS or XFAIL",
)
async def test_tables_survive_restarts_and_moving_partitions(own_settings: Settings) -> None:
    settings = own_settings
    rng = random.Random(42)
    env = {
        **os.environ,
        "TOPIC_NAMESPACE": settings.topic_namespace,
        "WORKER_ID": settings.worker_id,
        "ANALYTICS_ALERT_CHECK_SECONDS": "3600",
    }
    agencies = [Agency(rng) for _ in range(AGENCIES)]
    expected = AnalyticsState(MemoryTable(), MemoryTable(), MemoryTable())
    hour = 0

    async def round_of(events: list[tuple[str, EventEnvelope]], what: str) -> None:
        for _, e in events:
            expected.apply(e, 0)
        await _publish(settings, events, rng)
        await eventually(lambda: _views_match(settings, expected), timeout=90, what=what)

    def advance() -> list[tuple[str, EventEnvelope]]:
        nonlocal hour
        hour += 5
        events = [e for a in agencies for e in a.advance(hour)]
        assert events
        return events

    logs = {name: LOG_DIR / f"analytics-{name}.log" for name in ("a", "b", "c")}

    def ready(log: Path) -> Callable[[], bool]:
        return lambda: b"Ready" in log.read_bytes()

    def own_dir(name: str) -> dict[str, str]:
        # Each worker has a data directory of its own, as each pod has: the tables' RocksDB
        # files are locked by the process that opened them (docs/scaling.md).
        return {**env, "WORKER_DATA_DIR": str(Path(settings.worker_data_dir) / f"analytics-{name}")}

    def rebuilt_agencies(log: Path) -> list[int]:
        return [
            int(n) for n in re.findall(rb"analytics rebuilt for (\d+) agencies", log.read_bytes())
        ]

    a = spawn(["worker", "--agents", "analytics"], own_dir("a"), logs["a"], ROOT)
    b = c = None
    try:
        wait_for(ready(logs["a"]), "worker a", logs["a"], 120)
        opening = [e for ag in agencies for e in ag.opening()]
        await round_of(opening + advance(), "round 1 on worker a")

        b = spawn(["worker", "--agents", "analytics"], own_dir("b"), logs["b"], ROOT)
        wait_for(ready(logs["b"]), "worker b", logs["b"], 120)
        await round_of(advance(), "round 2 on workers a and b")
        # Some agencies' partitions moved to b, which recovered their tables.
        assert max(rebuilt_agencies(logs["b"]), default=0) > 0

        a.send_signal(signal.SIGKILL)
        a.wait()
        await round_of(advance(), "round 3 on worker b after a was killed")

        stop(b)
        b = None
        c = spawn(["worker", "--agents", "analytics"], own_dir("c"), logs["c"], ROOT)
        wait_for(ready(logs["c"]), "worker c", logs["c"], 120)
        await round_of(advance(), "round 4 on a fresh worker c")
    finally:
        for proc in (a, b, c):
            if proc is not None:
                stop(proc)
    assert max(rebuilt_agencies(logs["c"]), default=0) == AGENCIES
