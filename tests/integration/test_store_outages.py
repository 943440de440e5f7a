"""A store that cannot be reached leaves its adapter as StoreUnavailable, whatever its driver.

Each adapter is pointed at a port where nothing listens: a real refused connection,
the first thing an outage looks like.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from core.errors import StoreUnavailable
from core.settings import Settings
from stores.bundle import Stores
from tests.harness.processes import free_port


@pytest.fixture
async def nowhere() -> Stores:
    port = free_port()
    settings = Settings(
        POSTGRES_PORT=port,
        REDIS_PORT=port,
        MONGODB_URL=f"mongodb://127.0.0.1:{port}/?serverSelectionTimeoutMS=500",
        OPENSEARCH_URL=f"http://127.0.0.1:{port}",
    )
    stores = Stores(settings)
    await stores.start()
    return stores


async def _select_one(stores: Stores) -> None:
    async with stores.db.read():
        pass


@pytest.mark.parametrize(
    ("store", "call"),
    [
        ("postgres", _select_one),
        ("redis", lambda s: s.redis.ping()),
        ("mongodb", lambda s: s.mongo.ping()),
        ("opensearch", lambda s: s.search.ping()),
    ],
)
async def test_an_unreachable_store_is_unavailable(
    nowhere: Stores, store: str, call: Callable[[Stores], Awaitable[object]]
) -> None:
    try:
        with pytest.raises(StoreUnavailable) as raised:
            await call(nowhere)
        assert raised.value.store == store
    finally:
        await nowhere.stop()
