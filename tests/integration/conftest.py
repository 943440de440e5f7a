"""Each store adapter against its real server from deploy/local."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from core.settings import get_settings
from stores.bundle import Stores
from stores.postgres.migrate import upgrade
from tests.support import ensure_database


@pytest.fixture(scope="session")
async def stores() -> AsyncIterator[Stores]:
    get_settings.cache_clear()
    settings = get_settings()
    await ensure_database(settings)
    await asyncio.to_thread(upgrade, settings)
    bundle = Stores(settings)
    await bundle.start()
    await bundle.prepare()
    try:
        yield bundle
    finally:
        await bundle.stop()
