"""Wires the Faust worker: stores, agents and the services that own their clients."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import faust
from mode import Service

from agents import command_agent
from agents.analytics import agent as analytics
from agents.candidates.handlers import HANDLERS as CANDIDATE_HANDLERS
from agents.changes import feed as changes_feed
from agents.clients.handlers import HANDLERS as CLIENT_HANDLERS
from agents.context import HandlerContext
from agents.documents import reader as resume_reader
from agents.documents.reader import ResumeReader
from agents.documents.sandbox import ParseSandbox
from agents.integrations import forwarder as agency_events
from agents.integrations.gate import IntegrationGate
from agents.integrations.registry import IntegrationRegistry
from agents.notes.handlers import HANDLERS as NOTE_HANDLERS
from agents.pipeline.handlers import HANDLERS as PIPELINE_HANDLERS
from agents.processor import CommandProcessor
from agents.publishing import FaustPublisher
from agents.requisitions.handlers import HANDLERS as REQUISITION_HANDLERS
from agents.saved_searches.handlers import HANDLERS as SAVED_SEARCH_HANDLERS
from agents.search_indexer import agent as search_indexer
from agents.search_indexer import pipeline as stage_indexer
from agents.search_indexer import requisitions as requisition_indexer
from agents.webhooks import recorder as webhook_recorder
from agents.webhooks.dispatcher import Dispatcher
from agents.webhooks.sender import WebhookSender
from app.faust_app import analytics_fetch, create_faust_app
from app.tracing import trace_process
from app.worker_health import serve_health
from core.allocator import give_back_free_memory
from core.gc_tuning import (
    freeze_loaded_objects,
    hold_collections,
    log_slow_collections,
    space_full_collections,
)
from core.logging import format_every_handler, mask_every_handler, quiet_libraries
from core.settings import Settings
from domain import geo
from stores.bundle import Stores
from stores.kafka_patterns import PatternConsumer
from stores.kafka_transport import FetchPolicy
from topics.changes import FEED_TOPICS
from topics.names import (
    CANDIDATE_COMMANDS,
    CANDIDATE_EVENTS,
    CLIENT_COMMANDS,
    CLIENT_EVENTS,
    DOCUMENT_COMMANDS,
    EVENT_TOPICS,
    NOTE_COMMANDS,
    NOTE_EVENTS,
    PIPELINE_COMMANDS,
    PIPELINE_EVENTS,
    REQUISITION_COMMANDS,
    REQUISITION_EVENTS,
    SEARCH_COMMANDS,
    SEARCH_EVENTS,
    integration_commands_pattern,
)

log = logging.getLogger(__name__)


# What each WORKER_AGENTS value runs besides the analytics (core/settings.py).
COMMAND_SIDE = frozenset({"all", "domain", "commands"})
FOLLOWER_SIDE = frozenset({"all", "domain", "followers"})


def worker_app_id(settings: Settings) -> str:
    """The Faust app id, hence the consumer group: the analytics and the followers read
    other topics than the command agents, so each has a group of its own (`all` and
    `domain` keep WORKER_ID, as before the followers could run apart)."""
    if settings.worker_agents in ("analytics", "followers"):
        return f"{settings.worker_id}-{settings.worker_agents}"
    return settings.worker_id


def producer_linger_ms(settings: Settings) -> int:
    """The analytics worker's producer waits for company (its records leave in bursts and
    nobody waits on them); the command and follower workers send at once."""
    return settings.analytics_producer_linger_ms if settings.worker_agents == "analytics" else 0


def fetch_policy(settings: Settings) -> FetchPolicy | None:
    """The analytics worker's fetch gathers (nobody waits on it event by event); the
    command and follower workers' fetch returns any data at once (None: the default)."""
    return analytics_fetch(settings) if settings.worker_agents == "analytics" else None


def build_worker_app(settings: Settings) -> faust.App:
    # At the process's start, before any client exists (PyMongo's listener applies to the
    # clients made after it).
    agents = settings.worker_agents
    trace_process(settings, "worker" if agents in ("all", "domain") else f"worker-{agents}")
    stores = Stores(settings)
    app = create_faust_app(
        settings,
        app_id=worker_app_id(settings),
        linger_ms=producer_linger_ms(settings),
        fetch=fetch_policy(settings),
    )
    # Set before anything is frozen: from the start, a worker's full collections wait for
    # GC_FULL_AFTER younger ones (an import's sets in flight, core/gc_tuning.py).
    space_full_collections(settings.gc_full_after)
    _give_back_memory(app, settings)
    if agents in COMMAND_SIDE or agents in FOLLOWER_SIDE:
        publisher = FaustPublisher(app)
        if agents in COMMAND_SIDE:
            _register_command_side(app, settings, stores, publisher)
        if agents in FOLLOWER_SIDE:
            _register_followers(app, settings, stores, publisher)
        else:
            # No gazetteer to load (only the indexers locate cities), but the command
            # worker's loaded objects leave the full collections all the same.
            _freeze_at_start(app, settings.gc_freeze)
    if agents in ("all", "analytics"):
        analytics.register(app, stores, settings)
    _serve_stores(app, stores)
    serve_health(app, settings, stores)
    if agents in COMMAND_SIDE:
        _finish_batches_on_stop(
            app, settings.shutdown_grace_seconds, settings.command_batch_window_ms / 1000
        )
    return app


def _register_command_side(
    app: faust.App, settings: Settings, stores: Stores, publisher: FaustPublisher
) -> None:
    """The command agents, the resume reader and the integration gate: what applies
    commands and emits events."""
    ctx = HandlerContext(settings=settings, stores=stores)
    ns = settings.topic_namespace
    # Stay within the Postgres pool, leaving room for the ledger reads.
    concurrency = max(1, settings.postgres_pool_size - 2)
    event_topics = {
        "candidate": CANDIDATE_EVENTS.name(ns),
        "client": CLIENT_EVENTS.name(ns),
        "contact": CLIENT_EVENTS.name(ns),
        "requisition": REQUISITION_EVENTS.name(ns),
        "submission": PIPELINE_EVENTS.name(ns),
        "placement": PIPELINE_EVENTS.name(ns),
        "interview": PIPELINE_EVENTS.name(ns),
        "feedback": PIPELINE_EVENTS.name(ns),
        "note": NOTE_EVENTS.name(ns),
        "saved_search": SEARCH_EVENTS.name(ns),
    }
    for name, commands, events, handlers in (
        ("candidates.commands", CANDIDATE_COMMANDS, CANDIDATE_EVENTS, CANDIDATE_HANDLERS),
        ("clients.commands", CLIENT_COMMANDS, CLIENT_EVENTS, CLIENT_HANDLERS),
        ("requisitions.commands", REQUISITION_COMMANDS, REQUISITION_EVENTS, REQUISITION_HANDLERS),
        ("pipeline.commands", PIPELINE_COMMANDS, PIPELINE_EVENTS, PIPELINE_HANDLERS),
        ("notes.commands", NOTE_COMMANDS, NOTE_EVENTS, NOTE_HANDLERS),
        ("searches.commands", SEARCH_COMMANDS, SEARCH_EVENTS, SAVED_SEARCH_HANDLERS),
    ):
        processor = CommandProcessor(
            ctx,
            handlers,
            publisher,
            events_topic=events.name(ns),
            dlq_topic=commands.dlq(ns),
            concurrency=concurrency,
            event_topics=event_topics,
            namespace=ns,
        )
        command_agent.register(
            app, name, commands.name(ns), processor, settings.command_batch_window_ms / 1000
        )
    # Resumes are read by an agent of their own, in child processes with limits, and
    # recorded by the candidates agent (agents/documents/reader.py).
    sandbox = ParseSandbox.from_settings(settings)
    reader = ResumeReader(
        stores,
        sandbox,
        publisher,
        record_topic=CANDIDATE_COMMANDS.name(ns),
        dlq_topic=DOCUMENT_COMMANDS.dlq(ns),
        concurrency=settings.resume_parse_concurrency,
    )
    resume_reader.register(app, reader, DOCUMENT_COMMANDS.name(ns))
    _serve_sandbox(app, sandbox)
    # Integrations: their commands pass the gate (as their own agency and role) to the
    # domain topics (their agency's events are copied out by a follower).
    registry = IntegrationRegistry(stores, cache_size=settings.integration_cache_size)
    gate = IntegrationGate(registry, publisher, stores.redis, stores.sealer, namespace=ns)
    _serve_gate(app, settings, gate)


def _register_followers(
    app: faust.App, settings: Settings, stores: Stores, publisher: FaustPublisher
) -> None:
    """What follows the events: the search indexers, the integrations' forwarder, the
    webhooks and the changes feed. None of them writes a domain table, so they may run
    in a process (and consumer group) of their own, `--agents followers`."""
    ns = settings.topic_namespace
    # An integration's agency events are copied to the one topic it may read.
    registry = IntegrationRegistry(stores, cache_size=settings.integration_cache_size)
    agency_events.register(
        app, registry, publisher, stores.sealer, [s.name(ns) for s in EVENT_TOPICS], ns
    )
    search_indexer.register(
        app,
        stores,
        CANDIDATE_EVENTS.name(ns),
        SEARCH_EVENTS.name(ns),
        settings.search_index_window_ms / 1000,
    )
    requisition_indexer.register(app, stores, REQUISITION_EVENTS.name(ns))
    _warm_gazetteer(app, settings.gc_freeze)
    stage_indexer.register(app, stores, PIPELINE_EVENTS.name(ns))
    _serve_webhooks(app, settings, stores, publisher, [s.name(ns) for s in EVENT_TOPICS])
    # The changes feed (GET /changes): every domain event, ids and versions only.
    changes_feed.register(app, stores, [spec.name(ns) for spec in FEED_TOPICS])


def _finish_batches_on_stop(app: faust.App, grace: float, window: float) -> None:
    """On SIGTERM, let the command agents finish the batches they hold before anything stops.

    By the time Faust sends `on_before_shutdown` it has stopped fetching; what the agents
    already took is applied, and its offsets committed, while the stores are still open
    (they stop after). So a worker stopped mid-batch leaves nothing applied whose offset is
    not committed. Past `grace` it stops anyway: the rest is delivered again, harmlessly.
    """

    async def on_stop(sender: Any, /, *_: Any, signal: Any, **__: Any) -> None:
        try:
            await command_agent.finish_batches(app, grace, window)
        except Exception:
            # Stopped before the consumer ever started, say: nothing was taken.
            log.exception("could not finish the batches in flight before stopping")

    app.on_before_shutdown.connect(on_stop)


def _serve_webhooks(
    app: faust.App,
    settings: Settings,
    stores: Stores,
    publisher: FaustPublisher,
    topics: list[str],
) -> None:
    """The recorder agent (events to delivery rows) and the dispatcher (rows to HTTP),
    which runs beside the consumer loops, never in one (agents/webhooks/)."""
    sender = WebhookSender(settings)
    dispatcher = Dispatcher(settings, stores, sender, publisher, namespace=settings.topic_namespace)
    webhook_recorder.register(app, stores, topics, dispatcher.wake)
    running: list[asyncio.Task[None]] = []

    @app.service
    class WebhookDispatchService(Service):
        async def on_start(self) -> None:
            running.append(asyncio.create_task(dispatcher.run(), name="webhook-dispatcher"))

        async def on_stop(self) -> None:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            running.clear()
            await dispatcher.stop()
            await sender.stop()


def _serve_gate(app: faust.App, settings: Settings, gate: IntegrationGate) -> None:
    consumer = PatternConsumer(
        settings,
        settings.kafka_login("worker"),
        pattern=integration_commands_pattern(settings.topic_namespace),
        group_id=f"{settings.worker_id}-integrations",
        handler=gate.handle,
        # What an integration sent is kept sealed where it went, not in the clear here.
        delete_handled=True,
    )

    @app.service
    class IntegrationGateService(Service):
        async def on_start(self) -> None:
            await consumer.start()

        async def on_stop(self) -> None:
            await consumer.stop()


def _give_back_memory(app: faust.App, settings: Settings) -> None:
    """Every WORKER_MEMORY_TRIM_SECONDS, the allocator's free pages go back to the OS, so
    the resident memory falls back after a large import (core/allocator.py)."""
    if not settings.worker_memory_trim_seconds:
        return

    @app.timer(interval=settings.worker_memory_trim_seconds)  # type: ignore[untyped-decorator]
    async def trim_memory() -> None:
        give_back_free_memory()


def _warm_gazetteer(app: faust.App, freeze: bool) -> None:
    @app.service
    class GazetteerService(Service):
        async def on_start(self) -> None:
            # The indexers look each record's city up (domain/geo.py): the gazetteer loads
            # in a thread now (a second or two), not on the event loop at the first event.
            # Not awaited, so the worker's start does not wait for it.
            log_slow_collections()
            if freeze:
                hold_collections()
            self.loading = asyncio.get_running_loop().run_in_executor(None, geo.warm)
            if freeze:
                # Once loaded, the gazetteer and everything imported before it are frozen
                # out of the full collections (core/gc_tuning.py).
                self.loading.add_done_callback(lambda _: freeze_loaded_objects())


def _freeze_at_start(app: faust.App, freeze: bool) -> None:
    @app.service
    class FreezeService(Service):
        async def on_start(self) -> None:
            log_slow_collections()
            if freeze:
                freeze_loaded_objects()


def _serve_sandbox(app: faust.App, sandbox: ParseSandbox) -> None:
    @app.service
    class ResumeSandboxService(Service):
        async def on_start(self) -> None:
            # The fork server imports the parsers (a second or so): started now rather
            # than on the first resume. If it cannot start, the first read tries again.
            try:
                await asyncio.to_thread(sandbox.start)
            except Exception:
                log.exception("the resume fork server did not start; the first read retries")

        async def on_stop(self) -> None:
            await asyncio.to_thread(sandbox.stop)


def _serve_stores(app: faust.App, stores: Stores) -> None:
    @app.service
    class StoresService(Service):
        async def on_start(self) -> None:
            # Faust has set its log handlers up by now: mask personal data on them too.
            mask_every_handler()
            format_every_handler(stores.settings.log_format)
            quiet_libraries()
            await stores.start()
            await stores.prepare()

        async def on_stop(self) -> None:
            await stores.stop()
