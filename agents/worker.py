"""Wires the Faust worker: stores, agents and the services that own their clients."""

from __future__ import annotations

import faust
from mode import Service

from agents.candidates import agent as candidates_agent
from agents.candidates.handlers import HANDLERS as CANDIDATE_HANDLERS
from agents.context import HandlerContext
from agents.processor import CommandProcessor
from agents.search_indexer import agent as search_indexer
from core.settings import Settings
from stores.bundle import Stores
from topics.app import create_faust_app
from topics.names import CANDIDATE_COMMANDS, CANDIDATE_EVENTS


class FaustPublisher:
    """Publishes through the worker's own producer and waits for the broker's ack."""

    def __init__(self, app: faust.App) -> None:
        self._app = app

    async def publish(
        self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]] | None = None
    ) -> None:
        await self._app.producer.send_and_wait(
            topic, key, value, partition=None, timestamp=None, headers=headers
        )


def build_worker_app(settings: Settings) -> faust.App:
    app = create_faust_app(settings)
    stores = Stores(settings)
    ctx = HandlerContext(settings=settings, stores=stores)
    publisher = FaustPublisher(app)
    ns = settings.topic_namespace

    candidates_agent.register(
        app,
        CommandProcessor(
            ctx,
            CANDIDATE_HANDLERS,
            publisher,
            events_topic=CANDIDATE_EVENTS.name(ns),
            dlq_topic=CANDIDATE_COMMANDS.dlq(ns),
            # Stay within the Postgres pool, leaving room for the ledger reads.
            concurrency=max(1, settings.postgres_pool_size - 2),
        ),
        CANDIDATE_COMMANDS.name(ns),
    )
    search_indexer.register(app, stores, CANDIDATE_EVENTS.name(ns))

    @app.service
    class StoresService(Service):
        async def on_start(self) -> None:
            await stores.start()
            await stores.prepare()

        async def on_stop(self) -> None:
            await stores.stop()

    return app
