"""What the stores and topics hold after a scenario: the truth the table is made of.

Postgres is the system of record: a command is applied when its candidate row is there
(and its ledger row says `applied`). Everything is read straight from the servers, as
the admin where Kafka is concerned, never through the product's own read paths; only
the candidates' e-mails, sealed at rest, are opened with the product's keyring.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg  # type: ignore[import-untyped]  # ships no type information
from aiokafka import AIOKafkaConsumer, TopicPartition
from opensearchpy import AsyncOpenSearch
from pymongo import AsyncMongoClient

from core.settings import Settings
from stores.at_rest import AtRest
from stores.connections import opensearch_options, postgres_ssl
from stores.kafka_auth import client_options
from stores.keyring import Keyring
from stores.postgres.database import Database

PROFILES = "candidate_profiles"  # stores/mongo.py


@dataclass(frozen=True)
class CandidateRow:
    id: UUID
    version: int
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class LedgerRow:
    status: str
    code: str | None
    processed_at: float


@dataclass
class StoreView:
    """One agency's candidates (by their marker email) and its command ledger."""

    rows: dict[str, list[CandidateRow]] = field(default_factory=dict)
    ledger: dict[str, LedgerRow] = field(default_factory=dict)


async def _pg(settings: Settings) -> Any:
    return await asyncpg.connect(
        host=settings.postgres_host,
        port=settings.postgres_port,
        user=settings.postgres_user,
        password=settings.postgres_password,
        database=settings.postgres_db,
        ssl=postgres_ssl(settings),
        timeout=5,
    )


def _ts(value: datetime) -> float:
    return value.timestamp()


async def read_store(settings: Settings, tenant_id: UUID) -> StoreView:
    conn = await _pg(settings)
    try:
        view = StoreView()
        rows = await _opened(
            settings,
            await conn.fetch(
                "SELECT id, tenant_id, emails, version, created_at, updated_at FROM candidates"
                " WHERE tenant_id = $1",
                tenant_id,
            ),
        )
        for r in rows:
            row = CandidateRow(r["id"], r["version"], _ts(r["created_at"]), _ts(r["updated_at"]))
            for email in r["emails"]:
                view.rows.setdefault(email, []).append(row)
        ledger = await conn.fetch(
            "SELECT command_id, status, error, processed_at FROM processed_commands"
            " WHERE tenant_id = $1",
            tenant_id,
        )
        for r in ledger:
            error = json.loads(r["error"]) if isinstance(r["error"], str) else r["error"]
            code = error.get("code") if isinstance(error, dict) else None
            view.ledger[str(r["command_id"])] = LedgerRow(r["status"], code, _ts(r["processed_at"]))
        return view
    finally:
        await conn.close()


async def _opened(settings: Settings, records: list[Any]) -> list[dict[str, Any]]:
    """The rows with their e-mails opened (each is sealed with its candidate's key)."""
    db = Database(settings)
    await db.start()
    try:
        return await AtRest(Keyring(db, settings)).open_candidates([dict(r) for r in records])
    finally:
        await db.stop()


async def ledger_count(settings: Settings, tenant_id: UUID, command_ids: Iterable[str]) -> int:
    """How many of these commands the ledger has an outcome for (applied or rejected)."""
    conn = await _pg(settings)
    try:
        ids = [UUID(c) for c in command_ids]
        found = await conn.fetchval(
            "SELECT count(*) FROM processed_commands WHERE tenant_id = $1"
            " AND command_id = ANY($2::uuid[])",
            tenant_id,
            ids,
        )
        return int(found)
    finally:
        await conn.close()


async def settle(
    settings: Settings,
    tenant_id: UUID,
    command_ids: list[str],
    *,
    quiet_seconds: float = 60.0,
    limit_seconds: float = 600.0,
) -> dict[str, Any]:
    """Wait until every accepted command has an outcome, or nothing moved for `quiet_seconds`.

    Returns how long it took and how many had an outcome; an unreachable Postgres (a
    scenario that has not brought it back) counts as no progress.
    """
    started = last_move = time.monotonic()
    seen = -1
    while True:
        try:
            done = await ledger_count(settings, tenant_id, command_ids)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            done = seen
        now = time.monotonic()
        if done != seen:
            seen, last_move = done, now
        if seen >= len(command_ids):
            break
        if now - last_move > quiet_seconds or now - started > limit_seconds:
            break
        await asyncio.sleep(0.5)
    return {"seconds": round(time.monotonic() - started, 1), "with_outcome": seen}


def admin_consumer(settings: Settings) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        **client_options(settings, settings.kafka_login("admin")), enable_auto_commit=False
    )


async def topic_ends(settings: Settings, topic: str) -> dict[int, int]:
    """The next offset of every partition of `topic` (where a reader would start now)."""
    consumer = admin_consumer(settings)
    await consumer.start()
    try:
        # `refactortrack migrate` makes every contract topic with this many partitions.
        tps = [TopicPartition(topic, p) for p in range(settings.kafka_partitions)]
        ends = await consumer.end_offsets(tps)
        return {tp.partition: int(offset) for tp, offset in ends.items()}
    finally:
        await consumer.stop()


@dataclass(frozen=True)
class Record:
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, bytes]


async def read_range(
    settings: Settings, topic: str, start: dict[int, int], end: dict[int, int] | None = None
) -> list[Record]:
    """Every record of `topic` from `start` up to `end` (the current end when None)."""
    end = end if end is not None else await topic_ends(settings, topic)
    consumer = admin_consumer(settings)
    await consumer.start()
    out: list[Record] = []
    try:
        tps = {p: TopicPartition(topic, p) for p in end}
        consumer.assign(list(tps.values()))
        for p, tp in tps.items():
            consumer.seek(tp, start.get(p, 0))
        left = {p for p in end if end[p] > start.get(p, 0)}
        deadline = time.monotonic() + 120
        while left and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for tp, records in batch.items():
                for r in records:
                    if r.offset < end[tp.partition]:
                        out.append(
                            Record(tp.partition, r.offset, r.key, r.value, dict(r.headers or []))
                        )
                    if r.offset >= end[tp.partition] - 1:
                        left.discard(tp.partition)
        return out
    finally:
        await consumer.stop()


def doubled_events(records: Iterable[Record], tenant_id: UUID) -> dict[str, Any]:
    """Effects recorded twice on the event topic: one aggregate version with two event ids.

    A redelivered command re-emits the very event it recorded (same id): that is allowed.
    A second *application* would make a new event, with a new id, for the same version.
    """
    ids: dict[tuple[str, int], set[str]] = defaultdict(set)
    types: Counter[str] = Counter()
    copies = 0
    for r in records:
        if not r.value:
            continue
        try:
            event = json.loads(r.value)
        except ValueError:
            continue
        if event.get("tenant_id") != str(tenant_id):
            continue
        types[event.get("type", "?")] += 1
        key = (str(event.get("aggregate_id")), int(event.get("version", 0)))
        if event.get("event_id") in ids[key]:
            copies += 1
        ids[key].add(str(event.get("event_id")))
    doubled = sorted(f"{agg} v{v}" for (agg, v), seen in ids.items() if len(seen) > 1)
    return {
        "event_types": dict(types),
        "redelivered_copies": copies,
        "doubled": len(doubled),
        "doubled_examples": doubled[:5],
    }


async def follower_counts(settings: Settings, tenant_id: UUID) -> dict[str, int | None]:
    """The agency's candidates in the search index and its profiles in MongoDB."""
    counts: dict[str, int | None] = {"search": None, "profiles": None}
    search = AsyncOpenSearch(**opensearch_options(settings))
    try:
        alias = f"{settings.index_prefix}-candidates"
        await search.indices.refresh(index=alias)
        found = await search.count(
            index=alias, body={"query": {"term": {"tenant_id": str(tenant_id)}}}
        )
        counts["search"] = int(found["count"])
    except Exception:  # an unreachable node says "unknown", not zero
        counts["search"] = None
    finally:
        await search.close()
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongo_url, serverSelectionTimeoutMS=5000
    )
    try:
        counts["profiles"] = await mongo[settings.mongo_db][PROFILES].count_documents(
            {"tenant_id": str(tenant_id)}
        )
    except Exception:
        counts["profiles"] = None
    finally:
        await mongo.close()
    return counts


async def followers_caught_up(
    settings: Settings, tenant_id: UUID, expected: int, *, limit_seconds: float = 60.0
) -> dict[str, Any]:
    """Wait (bounded) until the index and MongoDB hold every applied candidate."""
    started = time.monotonic()
    counts: dict[str, int | None] = {}
    while time.monotonic() - started < limit_seconds:
        counts = await follower_counts(settings, tenant_id)
        if counts["search"] == expected and counts["profiles"] == expected:
            break
        await asyncio.sleep(1.0)
    return {**counts, "expected": expected, "seconds": round(time.monotonic() - started, 1)}


async def committed_offsets(settings: Settings, group: str, topic: str) -> dict[int, int]:
    """The consumer group's committed offset per partition of `topic` (-1: none)."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(**client_options(settings, settings.kafka_login("admin")))
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {tp.partition: int(meta.offset) for tp, meta in offsets.items() if tp.topic == topic}
