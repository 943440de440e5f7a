"""Stores for throwaway runs (the test suite, the benchmarks), emptied before each run.

Each run starts from nothing, so its cost and its figures do not depend on earlier runs.
Only stores whose names mark them as scratch (`*_test`/`*_bench` databases, `*-test`/
`*-bench` index prefixes) are ever emptied.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # ships no type information
import redis.asyncio as aioredis
from aiokafka.admin import AIOKafkaAdminClient
from opensearchpy import AsyncOpenSearch
from pymongo import AsyncMongoClient

from core.settings import Settings
from stores.connections import opensearch_options, redis_options
from stores.kafka_auth import client_options
from tests.support import maintenance_connection

SCRATCH = (("_test", "-test"), ("_bench", "-bench"))


async def empty_scratch_stores(settings: Settings) -> None:
    """Empty the run's own database, document database, indexes and Redis db."""
    if not any(
        settings.postgres_db.endswith(db) and settings.index_prefix.endswith(prefix)
        for db, prefix in SCRATCH
    ):
        raise RuntimeError(f"refusing to empty {settings.postgres_db}: not a scratch database")
    await drop_database(settings, create_again=True)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url)
    try:
        await mongo.drop_database(settings.mongo_db)
    finally:
        await mongo.close()
    search = AsyncOpenSearch(**opensearch_options(settings))
    try:
        await search.indices.delete(index=f"{settings.index_prefix}-*", ignore_unavailable=True)
    finally:
        await search.close()
    redis = aioredis.Redis.from_url(settings.redis_url, **redis_options(settings))
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()
    await _drop_topics(settings)
    # The workers' local table state (the analytics' RocksDB files) records changelog
    # offsets of the topics just dropped: kept, it would stop the next worker at
    # recovery ("persisted offset is higher than the last offset in that topic").
    if settings.topic_namespace.endswith(("-test", "-bench")):
        shutil.rmtree(settings.worker_data_dir, ignore_errors=True)


async def drop_database(settings: Settings, *, create_again: bool = False) -> None:
    """Drop the run's Postgres database, whoever is still connected to it.

    Not `WITH (FORCE)`: that refuses outright when an autovacuum worker is busy on the
    database (it runs as no role, which only a superuser may signal), as it is on a stack
    restarted after a heavy run. A plain DROP stops autovacuum itself and waits up to 5 s
    for other sessions; those of our own role are ended first, and the drop is tried again
    while one lingers or reconnects.
    """
    conn = await maintenance_connection(settings)
    name = settings.postgres_db
    try:
        for attempt in range(_DROP_ATTEMPTS):
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = $1 AND usename = current_user AND pid <> pg_backend_pid()",
                name,
            )
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
                break
            except asyncpg.ObjectInUseError:
                if attempt == _DROP_ATTEMPTS - 1:
                    raise
        if create_again:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


_DROP_ATTEMPTS = 5


async def _drop_topics(settings: Settings) -> None:
    """The run's topics go too, so its workers start from nothing to catch up on.

    Its commands and events (`<namespace>.*`), and the workers' own topics (tables'
    changelogs, Faust's internal ones: `<worker id>-*`). Consumers whose saved offsets
    lie past the new, empty topics start again from the beginning.
    """
    if not settings.topic_namespace.endswith(("-test", "-bench")):
        return  # not a scratch namespace: its topics are someone's data
    admin = AIOKafkaAdminClient(**client_options(settings, settings.kafka_login("admin")))
    await admin.start()
    try:
        prefixes = (f"{settings.topic_namespace}.", f"{settings.worker_id}-")
        doomed = [t for t in await admin.list_topics() if t.startswith(prefixes)]
        if not doomed:
            return
        await admin.delete_topics(doomed)
        # Deletion completes in the background; creating a topic of the same name before
        # it has would fail.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            left = set(doomed) & set(await admin.list_topics())
            if not left:
                return
            await asyncio.sleep(0.5)
        raise RuntimeError(f"Kafka did not delete {sorted(left)[:3]} within 60 s")
    finally:
        await admin.close()
