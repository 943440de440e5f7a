"""Records, for every event on the event topics, a delivery to each active webhook of the
event's agency that follows its type: a Postgres row the dispatcher sends from.

The agent only writes rows, in one statement per batch, so a slow or dead receiver never
holds up the event topics (or the other agents reading them): sending is the
dispatcher's, apart from the consumer loop. A redelivered event finds its rows recorded
and adds none (one row per webhook and event id).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Container, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import faust
import orjson
from pydantic import ValidationError

from core.clock import utcnow
from domain.webhooks import follows
from stores.bundle import Stores
from stores.postgres import webhooks as repo
from topics.batches import Unreadable, batch_tenant, expand_parsed
from topics.envelopes import EventEnvelope

log = logging.getLogger(__name__)

BATCH_SIZE = 500
# A quarter second, as the changes feed (agents/changes/feed.py says why): a delivery is
# recorded at most that much later.
BATCH_WINDOW_SECONDS = 0.25
MAX_DELAY_SECONDS = 10.0

Row = dict[str, Any]


def _storable(value: Any) -> Any:
    """`value` without NUL characters, which a JSONB column refuses: one in a text field
    would otherwise stop the agent on that batch for good."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_storable(v) for v in value]
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    return value


def readable(
    values: Sequence[bytes | None], tenants: Container[UUID] | None = None
) -> list[tuple[EventEnvelope, dict[str, Any]]]:
    """The events of a batch (of `tenants` only, when given), with their JSON as it was;
    tombstones and unreadable messages (not ours to judge here) are passed over. A batch
    event (an import's) is read as its single events, parsed once: a webhook gets one
    delivery each."""
    out: list[tuple[EventEnvelope, dict[str, Any]]] = []
    for loaded in expand_parsed(values):
        if loaded is None or isinstance(loaded, Unreadable):
            continue
        if tenants is not None and _tenant_of(loaded) not in tenants:
            continue
        raw = _storable(loaded)
        try:
            out.append((EventEnvelope.model_validate(raw), raw))
        except ValidationError:
            continue
    return out


def tenants_in(values: Sequence[bytes | None]) -> set[UUID]:
    """The agencies a batch of events is about, read cheaply (no envelope validation)."""
    found: set[UUID] = set()
    for value in values:
        if value is None:
            continue
        # An import's batch event names its agency in its head: no need to parse it all.
        if (head := batch_tenant(value)) is not None:
            found.add(UUID(head))
            continue
        try:
            tenant = _tenant_of(orjson.loads(value))
        except orjson.JSONDecodeError:
            continue
        if tenant is not None:
            found.add(tenant)
    return found


def _tenant_of(loaded: Any) -> UUID | None:
    try:
        return UUID(str(loaded["tenant_id"]))
    except (TypeError, KeyError, ValueError):
        return None


def deliveries_for(
    events: Sequence[tuple[EventEnvelope, dict[str, Any]]],
    hooks: Sequence[Row],
    now: datetime,
) -> list[Row]:
    """One pending delivery per (event, webhook of its agency that follows its type), in
    the events' order."""
    by_tenant: dict[UUID, list[Row]] = defaultdict(list)
    for hook in hooks:
        by_tenant[hook["tenant_id"]].append(hook)
    rows: list[Row] = []
    for event, raw in events:
        for hook in by_tenant.get(event.tenant_id, ()):
            if follows(hook["events"], event.type):
                rows.append(
                    {
                        "id": uuid4(),
                        "tenant_id": event.tenant_id,
                        "webhook_id": hook["id"],
                        "event_id": event.event_id,
                        "event_type": event.type,
                        "aggregate_id": event.aggregate_id,
                        "event": raw,
                        "status": "pending",
                        "next_attempt_at": now,
                        "period_started_at": now,
                        "created_at": now,
                    }
                )
    return rows


async def record(stores: Stores, values: Sequence[bytes | None]) -> int:
    """Record the deliveries a batch of events makes due; how many are new."""
    # The agencies' webhooks first: most events (an import's thousands) belong to an
    # agency with none, and are then not worth validating and cleaning one by one.
    tenants = tenants_in(values)
    if not tenants:
        return 0
    async with stores.db.lookup() as conn:
        hooks = await repo.active_webhooks(conn, list(tenants))
    if not hooks:
        return 0
    events = readable(values, {hook["tenant_id"] for hook in hooks})
    rows = deliveries_for(events, hooks, utcnow())
    if not rows:
        return 0
    async with stores.db.transaction() as conn:
        return await repo.record_deliveries(conn, rows)


def register(
    app: faust.App, stores: Stores, topics: Sequence[str], recorded: Callable[[], None]
) -> None:
    """The agent; `recorded` is called when new deliveries are due (wakes the dispatcher)."""
    events = app.topic(*topics)

    async def record_deliveries(stream: faust.StreamT[bytes]) -> None:
        async for batch in stream.take(BATCH_SIZE, within=BATCH_WINDOW_SECONDS):
            delay = 0.2
            # Until the rows are written the batch is not acknowledged: Postgres away is
            # waited out, never skipped (each delivery is owed at least once).
            while True:
                try:
                    await stores.start()
                    if await record(stores, batch):
                        recorded()
                    break
                except Exception as exc:
                    log.warning("recording webhook deliveries failed (%r); retrying", exc)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, MAX_DELAY_SECONDS)

    app.agent(events, name="webhooks.recorder")(record_deliveries)
