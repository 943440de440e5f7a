"""Looks for readable copies of a person's data in every store, topic and log of a running
system: what an auditor would grep after an erasure."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import bson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text

from core.settings import Settings
from stores.bundle import Stores
from tests.support import admin_options


def _hits(blob: bytes, needles: Iterable[str]) -> list[str]:
    lower = blob.lower()
    return [n for n in needles if n.lower().encode() in lower]


async def in_postgres(stores: Stores, needles: list[str]) -> list[str]:
    found: list[str] = []
    async with stores.db.read() as conn:
        tables = (
            await conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            )
        ).scalars()
        for table in list(tables):
            for needle in needles:
                hit = await conn.execute(
                    text(f'SELECT count(*) FROM "{table}" AS t WHERE t::text ILIKE :pattern'),
                    {"pattern": f"%{needle}%"},
                )
                if hit.scalar_one():
                    found.append(f"postgres {table}: {needle}")
    return found


async def in_mongo(stores: Stores, needles: list[str]) -> list[str]:
    found: list[str] = []
    db = stores.mongo.db
    for name in await db.list_collection_names():
        async for doc in db[name].find({}):
            for needle in _hits(bson.encode(doc), needles):
                found.append(f"mongodb {name} {doc.get('_id')}: {needle}")
    return found


async def in_opensearch(stores: Stores, settings: Settings, needles: list[str]) -> list[str]:
    found: list[str] = []
    client = stores.search.client
    pattern = f"{settings.index_prefix}*"
    await client.indices.refresh(index=pattern)
    answer: dict[str, Any] = await client.search(
        index=pattern, body={"query": {"match_all": {}}, "size": 10_000}
    )
    for hit in answer["hits"]["hits"]:
        for needle in _hits(json.dumps(hit["_source"]).encode(), needles):
            found.append(f"opensearch {hit['_index']} {hit['_id']}: {needle}")
    return found


async def in_redis(stores: Stores, needles: list[str]) -> list[str]:
    found: list[str] = []
    client = stores.redis.client
    async for key in client.scan_iter(count=1000):
        kind = (await client.type(key)).decode()
        values: list[Any]
        if kind == "string":
            values = [await client.get(key)]
        elif kind == "hash":
            values = list((await client.hgetall(key)).items())
        elif kind == "list":
            values = await client.lrange(key, 0, -1)
        elif kind == "set":
            values = list(await client.smembers(key))
        elif kind == "zset":
            values = await client.zrange(key, 0, -1)
        elif kind == "stream":
            values = await client.xrange(key)
        else:
            values = []
        blob = key + repr(values).encode()
        found.extend(f"redis {key.decode()}: {n}" for n in _hits(blob, needles))
    return found


async def in_kafka(settings: Settings, needles: list[str]) -> list[str]:
    """Every message of every topic of this system (commands, DLQs, events, the analytics
    and the workers' own changelogs), from the start of each partition."""
    prefixes = (settings.topic_namespace, settings.worker_id)
    admin = AIOKafkaAdminClient(**admin_options(settings))
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(prefixes)]
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(**admin_options(settings), enable_auto_commit=False)
    await consumer.start()
    found: list[str] = []
    try:
        partitions = [
            TopicPartition(topic["topic"], p["partition"])
            for topic in described
            for p in topic["partitions"]
        ]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        pending = {tp for tp in partitions if ends[tp] > 0}
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=2000, max_records=5000)
            if not batch:
                break
            for tp, records in batch.items():
                for record in records:
                    blob = (record.key or b"") + (record.value or b"")
                    blob += b"".join(v for _, v in record.headers or ())
                    found.extend(f"kafka {tp.topic}: {n}" for n in _hits(blob, needles))
                if records and records[-1].offset + 1 >= ends[tp]:
                    pending.discard(tp)
    finally:
        await consumer.stop()
    return found


def in_logs(log_dir: Path, needles: list[str]) -> list[str]:
    found: list[str] = []
    for path in sorted(log_dir.rglob("*")):
        if path.is_file():
            found.extend(f"log {path.name}: {n}" for n in _hits(path.read_bytes(), needles))
    return found


async def readable_copies(
    stores: Stores, settings: Settings, log_dir: Path, needles: list[str]
) -> list[str]:
    return [
        *await in_postgres(stores, needles),
        *await in_mongo(stores, needles),
        *await in_opensearch(stores, settings, needles),
        *await in_redis(stores, needles),
        *await in_kafka(settings, needles),
        *in_logs(log_dir, needles),
    ]
