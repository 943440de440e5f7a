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
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import faust
import orjson

from agents.analytics.alerts import check_alerts
from agents.analytics.projection import Projector
from agents.analytics.state import READ_TYPES, TRIMMED_TYPES, AnalyticsState, read_part
from agents.processor import OutgoingMessage
from agents.publishing import FaustPublisher
from core.settings import Settings
from stores.bundle import Stores
from topics.batches import batch_members
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
METRICS_BATCH = 100
METRICS_WINDOW_SECONDS = 0.02
# Events of one agency per forwarded message (a few hundred kB at most).
FORWARD_CHUNK = 200


class ChangelogTable:
    """A Faust table written with the partition of the event that changed the record.

    The metrics agent takes events in batches from several partitions, so the partition
    Faust would infer (the batch's last event) is not always the record's: each write
    names its own, which is the partition of its agency and so the one it recovers to.

    On the RocksDB store (one database per partition) the record is written to, and read
    from, its partition's database directly: the store's own `table[key]` would pick the
    database of the event being processed, which is not the record's either. Faust keeps
    each database's changelog offset, so a restarted worker reads only the changelog
    written since; a lost data directory is rebuilt from the whole changelog.
    """

    def __init__(self, table: Any) -> None:
        self._table = table

    def _rocksdb(self, partition: int) -> Any:
        """The partition's RocksDB (opened on first use), or None on the memory store."""
        open_db = getattr(self._table.data, "_db_for_partition", None)
        return None if open_db is None else open_db(partition)

    def items(self) -> Iterable[tuple[str, Any]]:
        # On RocksDB: the databases of the partitions this worker is assigned, decoded.
        items: Iterable[tuple[str, Any]] = self._table.data.items()
        return items

    def get(self, key: str, partition: int) -> Any:
        db = self._rocksdb(partition)
        if db is None:
            return self._table.data.get(key)
        store = self._table.data
        raw = db.get(store._encode_key(key))
        return None if raw is None else store._decode_value(raw)

    def put(self, key: str, value: Any, partition: int) -> None:
        db = self._rocksdb(partition)
        if db is None:
            self._table.data[key] = value
        else:
            store = self._table.data
            db.put(store._encode_key(key), store._encode_value(value))
        self._table.send_changelog(partition, key, value)

    def drop(self, key: str, partition: int) -> None:
        db = self._rocksdb(partition)
        if db is None:
            self._table.data.pop(key, None)
        else:
            db.delete(self._table.data._encode_key(key))
        self._table.send_changelog(partition, key, None, value_serializer="raw")


# Our agents dump envelopes field by field in declaration order, so the type and agency
# are found near the start without parsing the (large) data; anything else is parsed.
HEAD = re.compile(rb'"type":"([^"]+)","tenant_id":"([0-9a-f-]{36})"')


def _type_and_tenant(value: bytes) -> tuple[str, str] | None:
    found = HEAD.search(value, 0, 300)
    if found is not None:
        return found.group(1).decode(), found.group(2).decode()
    try:
        head = json.loads(value)
        return str(head["type"]), str(head["tenant_id"])
    except (ValueError, KeyError, TypeError):
        return None


def forwarded(values: Sequence[bytes | None], topic: str) -> list[OutgoingMessage]:
    """The events the metrics read, re-keyed by agency: one message per agency and chunk.

    A message holds a JSON array of up to FORWARD_CHUNK events of one agency, in the
    order they were read, so the metrics agent pays Kafka's per-message cost once for
    many events. A candidate, submission or placement event is forwarded with only what
    the metrics read of it (`_read_part`): the rest is a person's data, and most of the
    bytes.
    """
    by_tenant: dict[str, list[bytes]] = {}
    for value in values:
        if value is None:
            continue  # a tombstone; its erasure event came first
        # An import's batch events are read as the single events they carry: each
        # member's type and agency from the dict the batch's one parse gave.
        members = batch_members(value)
        if members is not None:
            for member in members:
                kind, tenant = member.get("type"), member.get("tenant_id")
                if kind in READ_TYPES and tenant is not None:
                    part = _read_part(member) if kind in TRIMMED_TYPES else member
                    by_tenant.setdefault(str(tenant), []).append(orjson.dumps(part))
            continue
        found = _type_and_tenant(value)
        if found is None:
            log.error("analytics: skipping an unreadable event")
            continue
        kind, tenant = found
        if kind in TRIMMED_TYPES:
            try:
                value = orjson.dumps(_read_part(orjson.loads(value)))
            except (orjson.JSONDecodeError, TypeError, AttributeError):
                log.error("analytics: skipping an unreadable event")
                continue
        if kind in READ_TYPES:
            by_tenant.setdefault(tenant, []).append(value)
    out: list[OutgoingMessage] = []
    for tenant, events in by_tenant.items():
        for i in range(0, len(events), FORWARD_CHUNK):
            chunk = b"[" + b",".join(events[i : i + FORWARD_CHUNK]) + b"]"
            out.append((topic, tenant.encode(), chunk, None))
    return out


def _read_part(event: dict[str, Any]) -> dict[str, Any]:
    """An event with only the envelope's ids and the data fields the metrics read."""
    data = event.get("data")
    kept = read_part(str(event.get("type")), data) if isinstance(data, dict) else {}
    return {
        "event_id": event.get("event_id"),
        "type": event.get("type"),
        "tenant_id": event.get("tenant_id"),
        "aggregate_id": event.get("aggregate_id"),
        "data": kept,
    }


@dataclass(frozen=True, slots=True)
class ReadEvent:
    """The parts of a forwarded event the metrics use.

    Events on these topics were built and checked by our agents when they were emitted;
    the metrics read them with a plain JSON parser rather than validating every field
    again (a tenth of the cost), and skip one that lacks what they need.
    """

    event_id: str
    type: str
    tenant_id: str
    aggregate_id: str
    data: dict[str, Any]


def read_chunk(value: bytes) -> list[ReadEvent]:
    """The events of a forwarded message; a bad one is skipped, not the whole chunk."""
    try:
        raw = orjson.loads(value)
    except orjson.JSONDecodeError:
        log.error("analytics: skipping an unreadable message")
        return []
    found = []
    for item in raw if isinstance(raw, list) else [raw]:
        try:
            found.append(
                ReadEvent(
                    event_id=str(item["event_id"]),
                    type=str(item["type"]),
                    tenant_id=str(item["tenant_id"]),
                    aggregate_id=str(item["aggregate_id"]),
                    data=dict(item["data"]),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            log.error("analytics: skipping an event without %s", exc)
    return found


def table_store(settings: Settings, name: str) -> dict[str, Any]:
    """Where table `name` keeps its records: RocksDB under WORKER_DATA_DIR (through the
    rocksdict binding), so memory does not grow with the records; `memory` holds them in
    the process, as before (ANALYTICS_STORE)."""
    if settings.analytics_store == "memory":
        return {"store": "memory://"}
    # Faust's defaults are sized for a server of its own (a 2 GiB block cache and up to
    # three 64 MiB memtables per database, and there is one database per table and
    # partition): each database gets a bounded cache and small memtables instead.
    return {
        # With its name as the URL's path: Faust falls back to the app's store (memory)
        # when the table's URL is empty, as `rocksdb://` is to yarl.
        "store": f"rocksdb:{name}",
        "options": {
            "driver": "rocksdict",
            "block_cache_size": settings.analytics_block_cache_bytes,
            "write_buffer_size": 4 << 20,
            "max_write_buffer_number": 2,
        },
    }


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
            **table_store(settings, f"analytics-{name}"),
        )

    submissions, requisitions, candidates = (
        table("submissions"),
        table("requisitions"),
        table("candidates"),
    )
    state = AnalyticsState(
        ChangelogTable(submissions),
        ChangelogTable(requisitions),
        ChangelogTable(candidates),
        candidate_cache_size=settings.analytics_candidate_cache_size,
    )
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
        # take_events (not take): each event keeps its partition, which its records need.
        batches = cast(Any, stream).take_events(METRICS_BATCH, within=METRICS_WINDOW_SECONDS)
        async for events in batches:
            changed = False
            for event in events:
                for envelope in read_chunk(event.value):
                    try:
                        changed |= state.apply(envelope, event.message.partition)
                    except (KeyError, TypeError, ValueError) as exc:
                        # Parsing comes before any change, so the sums are as they were.
                        log.error("analytics: skipping event %s: %r", envelope.event_id, exc)
            # Before the batch's offsets are committed: its records reach the changelog.
            state.write_tables()
            if changed:
                projector.wake()

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
