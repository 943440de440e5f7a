"""The live analytics: Faust agents, tables and the timers that serve dashboards.

1. `analytics.route` reads the pipeline, requisition and candidate events and forwards
   those the metrics use to the by-tenant topic, keyed by agency, so one worker holds
   all of an agency's records (Faust writes a table's changelog to the partition of the
   event being processed, so every record of an agency lives in one partition).
2. `analytics.metrics` applies them to the tables and the in-memory sums
   (`AnalyticsState`); after a rebalance or restart the tables are recovered from their
   changelogs and the sums rebuilt from them before any new event is read.
3. A projector writes changed views to Redis every ANALYTICS_PUSH_SECONDS, where the
   gateway serves and streams them; a timer checks the service-level alerts.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from typing import Any

import faust
from pydantic import ValidationError

from agents.analytics.alerts import check_alerts
from agents.analytics.projection import Projector
from agents.analytics.state import READ_TYPES, AnalyticsState
from agents.processor import OutgoingMessage
from agents.publishing import FaustPublisher
from core.settings import Settings
from stores.bundle import Stores
from topics.envelopes import EventEnvelope
from topics.names import (
    ANALYTICS_BY_TENANT,
    ANALYTICS_EVENTS,
    CANDIDATE_EVENTS,
    PIPELINE_EVENTS,
    REQUISITION_EVENTS,
)

log = logging.getLogger(__name__)

ROUTE_BATCH = 1000
ROUTE_WINDOW_SECONDS = 0.02


def forwarded(values: Sequence[bytes | None], topic: str) -> list[OutgoingMessage]:
    """The events the metrics read, re-keyed by agency."""
    out: list[OutgoingMessage] = []
    for value in values:
        if value is None:
            continue  # a tombstone; its erasure event came first
        try:
            head = json.loads(value)
            kind, tenant = head["type"], head["tenant_id"]
        except (ValueError, KeyError, TypeError):
            log.error("analytics: skipping an unreadable event")
            continue
        if kind in READ_TYPES and isinstance(tenant, str):
            out.append((topic, tenant.encode(), value, None))
    return out


def register(app: faust.App, stores: Stores, settings: Settings) -> AnalyticsState:
    ns = settings.topic_namespace
    by_tenant_name = ANALYTICS_BY_TENANT.name(ns)
    sources = app.topic(
        PIPELINE_EVENTS.name(ns), REQUISITION_EVENTS.name(ns), CANDIDATE_EVENTS.name(ns)
    )
    by_tenant = app.topic(by_tenant_name, partitions=settings.kafka_partitions)
    publisher = FaustPublisher(app)

    def table(name: str) -> Any:
        return app.Table(
            f"analytics-{name}",
            default=None,
            partitions=settings.kafka_partitions,
            key_type=str,
            help=f"The analytics' record of each {name[:-1]}, by id",
        )

    submissions, requisitions, candidates = (
        table("submissions"),
        table("requisitions"),
        table("candidates"),
    )
    state = AnalyticsState(submissions, requisitions, candidates)
    projector = Projector(stores, state, settings.analytics_push_seconds)

    def active_partitions() -> set[int]:
        return {
            tp.partition for tp in app.assignor.assigned_actives() if tp.topic == by_tenant_name
        }

    async def rebuild() -> None:
        started = time.perf_counter()
        state.rebuild(active_partitions())
        for agg in state.tenants.values():
            agg.changed |= set(agg.slices)  # every view written again by this worker
        projector.wake()
        log.info(
            "analytics rebuilt for %d agencies from %d submissions in %.2fs",
            len(state.tenants),
            len(state.subs),
            time.perf_counter() - started,
        )

    # After a restart or rebalance: tables recovered from their changelogs, then this.
    submissions.on_recover(rebuild)

    @app.agent(sources, name="analytics.route")
    async def route(stream: faust.StreamT[bytes]) -> None:
        async for batch in stream.take(ROUTE_BATCH, within=ROUTE_WINDOW_SECONDS):
            messages = forwarded(batch, by_tenant_name)
            if messages:
                await publisher.publish_many(messages)

    @app.agent(by_tenant, name="analytics.metrics")
    async def metrics(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            try:
                envelope = EventEnvelope.model_validate_json(event.value)
            except ValidationError as exc:
                log.error("analytics: skipping an unparseable event: %s", exc)
                continue
            try:
                if state.apply(envelope, event.message.partition):
                    projector.wake()
            except (KeyError, TypeError, ValueError) as exc:
                # Parsing comes before any change, so the sums are as they were.
                log.error("analytics: skipping event %s: %r", envelope.event_id, exc)

    @app.task  # type: ignore[untyped-decorator]
    async def push_views() -> None:
        await projector.run()

    alerts_topic = ANALYTICS_EVENTS.name(ns)

    @app.timer(interval=settings.analytics_alert_check_seconds)  # type: ignore[untyped-decorator]
    async def service_levels() -> None:
        try:
            raised, cleared = await check_alerts(
                state, stores, settings, alerts_topic, publisher.publish, time.time()
            )
        except Exception as exc:
            log.warning("checking service-level alerts failed (%s)", exc)
            return
        if raised or cleared:
            log.info("analytics alerts: %d raised, %d cleared", raised, cleared)

    return state
