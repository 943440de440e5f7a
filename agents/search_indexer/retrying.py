"""The indexers' rule for an unavailable OpenSearch: wait and try again, never drop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from stores.bundle import Stores

log = logging.getLogger(__name__)

FIRST_DELAY_SECONDS = 0.2
MAX_DELAY_SECONDS = 10.0


async def until_written(what: str, stores: Stores, write: Callable[[], Awaitable[None]]) -> None:
    """Run `write` until it succeeds, backing off; the batch's offsets wait meanwhile.

    An OpenSearch outage delays indexing; it never drops an update, because the stream
    does not move past a batch until its write went through.
    """
    delay = FIRST_DELAY_SECONDS
    while True:
        try:
            await stores.start()
            await write()
            return
        except Exception as exc:
            log.warning("indexing %s failed (%s); retrying in %.1fs", what, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_DELAY_SECONDS)
