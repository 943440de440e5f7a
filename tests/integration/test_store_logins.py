"""A store that asks for a password gets it from the settings: a real Redis with
`requirepass`, started for the test on a port of its own."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator

import pytest

from core.errors import StoreUnavailable
from core.settings import Settings
from stores.redis import RedisStore
from tests.harness.processes import free_port

PASSWORD = "a-redis-password-for-the-test"


@pytest.fixture
async def guarded_redis() -> AsyncIterator[int]:
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is installed by deploy/local (make test)")
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        server,
        *("--port", str(port), "--save", "", "--appendonly", "no", "--requirepass", PASSWORD),
        stdout=asyncio.subprocess.DEVNULL,
    )
    try:
        for _ in range(50):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                await asyncio.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        await proc.wait()


async def _ping(port: int, **login: str) -> None:
    store = RedisStore(Settings.model_validate({"REDIS_PORT": port, "REDIS_DB": 0, **login}))
    await store.start()
    try:
        await store.ping()
    finally:
        await store.stop()


async def test_redis_with_a_password(guarded_redis: int) -> None:
    await _ping(guarded_redis, REDIS_PASSWORD=PASSWORD)
    # A refused login is the store being unavailable to us, with the reason in the error.
    with pytest.raises(StoreUnavailable, match="AuthenticationError"):
        await _ping(guarded_redis)
    with pytest.raises(StoreUnavailable, match=r"invalid|WRONGPASS|Authentication"):
        await _ping(guarded_redis, REDIS_PASSWORD="wrong")
