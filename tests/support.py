"""Helpers shared by the integration and e2e suites."""

from __future__ import annotations

import asyncpg

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
