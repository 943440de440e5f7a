"""Helpers shared by the integration and e2e suites."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import event

from core.settings import Settings
from stores.bundle import Stores
from stores.connections import postgres_ssl
from stores.kafka import ensure_topics
from stores.kafka_access import grant_access, revoke_access
from stores.kafka_auth import client_options
from stores.postgres import keys as person_keys
from stores.postgres import tables


async def maintenance_connection(settings: Settings) -> asyncpg.Connection:
    """A connection as the app's role to the `postgres` database, to create or drop the
    run's own database (which cannot be done from inside it)."""
    return await asyncpg.connect(
        host=settings.postgres_host,
        port=settings.postgres_port,
        user=settings.postgres_user,
        password=settings.postgres_password,
        database="postgres",
        ssl=postgres_ssl(settings),
    )


async def ensure_database(settings: Settings) -> None:
    """Create the test database on the stack's Postgres if it is not there yet."""
    conn = await maintenance_connection(settings)
    try:
        exists = await conn.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", settings.postgres_db
        )
        if not exists:
            await conn.execute(f'CREATE DATABASE "{settings.postgres_db}"')
    finally:
        await conn.close()


def admin_options(settings: Settings) -> dict[str, Any]:
    """aiokafka client options for the tests' own producers and consumers: the admin's."""
    return client_options(settings, settings.kafka_login("admin"))


@asynccontextmanager
async def own_namespace(settings: Settings, prefix: str) -> AsyncIterator[Settings]:
    """Topics, a consumer group and ACLs of their own, so only this test's workers take
    part; every topic of the namespace (tables' changelogs too) and its ACLs are deleted
    afterwards."""
    namespace = f"{prefix}-{uuid.uuid4().hex[:8]}"
    own = settings.model_copy(update={"topic_namespace": namespace, "worker_id": namespace})
    await ensure_topics(own)
    await grant_access(own)
    try:
        yield own
    finally:
        admin = AIOKafkaAdminClient(**admin_options(settings))
        await admin.start()
        try:
            await admin.delete_topics(
                [t for t in await admin.list_topics() if t.startswith(namespace)]
            )
        finally:
            await admin.close()
        await revoke_access(own)


@contextmanager
def statements_sent(stores: Stores, wanted: Callable[[str], bool]) -> Iterator[list[str]]:
    """The SQL statements this process sends through `stores` while the block runs, of
    those `wanted` keeps."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if wanted(statement):
            seen.append(statement)

    engine = stores.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


async def new_agency(stores: Stores, slug_prefix: str = "t") -> uuid.UUID:
    """A tenant row of its own: the person keys that seal personal data are wrapped by an
    agency key, which names its agency."""
    tenant = uuid.uuid4()
    async with stores.db.transaction() as conn:
        await conn.execute(
            tables.tenants.insert().values(
                id=tenant, slug=f"{slug_prefix}-{tenant}", name=slug_prefix.upper()
            )
        )
    return tenant


async def stored_person_keys(
    stores: Stores, tenant: uuid.UUID, people: list[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these people have a key in Postgres."""
    async with stores.db.read() as conn:
        return set(await person_keys.person_keys_of(conn, tenant, people))
