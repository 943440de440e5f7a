"""Helpers shared by the integration and e2e suites."""

from __future__ import annotations

from typing import Any

import asyncpg
import redis.asyncio as aioredis
from opensearchpy import AsyncOpenSearch
from pymongo import AsyncMongoClient

from core.settings import Settings


async def ensure_database(settings: Settings) -> None:
    """Create the test database on the stack's Postgres if it is not there yet."""
    conn = await asyncpg.connect(
        host=settings.postgres_host,
        port=settings.postgres_port,
        user=settings.postgres_user,
        password=settings.postgres_password,
        database="postgres",
    )
    try:
        exists = await conn.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", settings.postgres_db
        )
        if not exists:
            await conn.execute(f'CREATE DATABASE "{settings.postgres_db}"')
    finally:
        await conn.close()


async def fresh_test_stores(settings: Settings) -> None:
    """Empty the suite's own database, document database, indexes and Redis db.

    Each run starts from nothing, so a test's cost does not grow with earlier runs (a
    full reindex, say). Refuses anything that is not the suite's own.
    """
    if not (settings.postgres_db.endswith("_test") and settings.index_prefix.endswith("-test")):
        raise RuntimeError(f"refusing to empty {settings.postgres_db}: not a test database")
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
