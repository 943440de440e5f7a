"""Stores for throwaway runs (the test suite, the benchmarks), emptied before each run.

Each run starts from nothing, so its cost and its figures do not depend on earlier runs.
Only stores whose names mark them as scratch (`*_test`/`*_bench` databases, `*-test`/
`*-bench` index prefixes) are ever emptied.
"""

from __future__ import annotations

from typing import Any

import asyncpg  # type: ignore[import-untyped]  # ships no type information
import redis.asyncio as aioredis
from aiokafka.admin import AIOKafkaAdminClient
from opensearchpy import AsyncOpenSearch
from pymongo import AsyncMongoClient

from core.settings import Settings

SCRATCH = (("_test", "-test"), ("_bench", "-bench"))


async def empty_scratch_stores(settings: Settings) -> None:
    """Empty the run's own database, document database, indexes and Redis db."""
    if not any(
        settings.postgres_db.endswith(db) and settings.index_prefix.endswith(prefix)
        for db, prefix in SCRATCH
    ):
        raise RuntimeError(f"refusing to empty {settings.postgres_db}: not a scratch database")
    conn = await asyncpg.connect(
        host=settings.postgres_host,
        port=settings.postgres_port,
        user=settings.postgres_user,
        password=settings.postgres_password,
        database="postgres",
    )
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{settings.postgres_db}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{settings.postgres_db}"')
    finally:
        await conn.close()
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url)
    try:
        await mongo.drop_database(settings.mongo_db)
    finally:
        await mongo.close()
    search = AsyncOpenSearch(hosts=[settings.opensearch_url])
    try:
        await search.indices.delete(index=f"{settings.index_prefix}-*", ignore_unavailable=True)
    finally:
        await search.close()
    redis = aioredis.Redis.from_url(settings.redis_url)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()
    await _drop_table_changelogs(settings)


async def _drop_table_changelogs(settings: Settings) -> None:
    """The run's worker tables start empty too (their changelogs are their state)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        prefix = f"{settings.worker_id}-analytics-"
        doomed = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()
