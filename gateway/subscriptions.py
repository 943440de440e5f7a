"""One long-lived Redis subscription per purpose, resubscribed when the connection drops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from stores.redis import RedisStore

log = logging.getLogger(__name__)


async def keep_subscribed(
    redis: RedisStore,
    subscribe: Callable[[Any], Awaitable[Any]],
    deliver: Callable[[dict[str, Any]], None],
    subscribed: asyncio.Event,
    what: str,
) -> None:
    """Subscribe (`subscribe(pubsub)`), hand every message to `deliver`, forever.

    `subscribed` is set once the first subscription stands, so a caller can wait for it
    before publishing anything it must not miss.
    """
    delay = 0.1
    while True:
        pubsub = redis.client.pubsub(ignore_subscribe_messages=True)
        try:
            await subscribe(pubsub)
            subscribed.set()
            delay = 0.1
            async for message in pubsub.listen():
                deliver(message)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("%s subscription lost (%s); resubscribing", what, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
