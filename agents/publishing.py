"""The worker's own producer, as the Publisher the agents emit through."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import faust

from agents.processor import OutgoingMessage
from core.errors import StoreUnavailable


class FaustPublisher:
    """Publishes through the worker's own producer and waits for the broker's ack."""

    def __init__(self, app: faust.App) -> None:
        self._app = app

    async def publish(
        self,
        topic: str,
        key: bytes,
        value: bytes | None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> None:
        try:
            await self._app.producer.send_and_wait(
                topic, key, value, partition=None, timestamp=None, headers=headers
            )
        except Exception as exc:
            raise StoreUnavailable("kafka", exc) from exc

    async def publish_many(self, messages: Sequence[OutgoingMessage]) -> None:
        # Queued one after another (each partition keeps their order), then awaited
        # together: the producer batches them into a few requests.
        try:
            pending = [
                await self._app.producer.send(
                    topic, key, value, partition=None, timestamp=None, headers=headers
                )
                for topic, key, value, headers in messages
            ]
            await asyncio.gather(*pending)
        except Exception as exc:
            # The broker away (or refusing): the caller waits it out, it is not the
            # message's fault.
            raise StoreUnavailable("kafka", exc) from exc
