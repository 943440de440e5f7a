"""Copies an integrated agency's events to its own topic, the only one its integrations read.

The domain topics carry every agency's events; an integration may read only its own
agency's (a Kafka ACL on `<namespace>.agencies.<tenant id>.events`). Events of agencies
without a live integration are not copied.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, cast
from uuid import UUID

import faust
import orjson

from agents.integrations.registry import IntegrationRegistry
from agents.processor import OutgoingMessage, Publisher
from stores.sealing import Sealer
from topics.batches import batch_tenant, expand_parsed_records
from topics.envelopes import EventEnvelope
from topics.names import agency_events

log = logging.getLogger(__name__)

BATCH_SIZE = 500
BATCH_WINDOW_SECONDS = 0.05
MAX_DELAY_SECONDS = 10.0


Copy = tuple[OutgoingMessage, dict[str, Any]]
"""A copy, and its event as parsed (opened from that parse, not parsed again)."""


def agency_copies(
    records: Sequence[tuple[bytes | None, bytes | None]],
    tenants: frozenset[UUID],
    namespace: str,
) -> list[Copy]:
    """The copies of the integrated agencies' events, in order; tombstones and unreadable
    messages are not copied."""
    copies: list[Copy] = []
    # An import's batch event is copied as its single events: integrations read only those.
    # Only an integrated agency's batch is worth expanding (its head names the agency).
    wanted = {str(t) for t in tenants}
    records = [
        r for r in records if r[1] is None or (head := batch_tenant(r[1])) is None or head in wanted
    ]
    for key, event, value in expand_parsed_records(records):
        if not isinstance(event, dict):
            continue  # a tombstone, or not an event
        try:
            tenant_id, event_type = UUID(str(event["tenant_id"])), str(event["type"])
        except (KeyError, TypeError, ValueError):
            continue
        if tenant_id in tenants:
            topic = agency_events(tenant_id, namespace)
            # A batch's member leaves as the JSON it would have had as a message of its own.
            body = value if value is not None else orjson.dumps(event)
            copies.append(((topic, key or b"", body, [("event_type", event_type.encode())]), event))
    return copies


async def opened(copies: list[Copy], sealer: Sealer) -> list[OutgoingMessage]:
    """The copies with personal fields opened: integrations hold no keys, and read their
    agency's data as the agency's processors. (The feed keeps it for its retention, a week;
    an erased person's later events no longer open, and are not copied.) Each event is
    validated from its parse."""
    sealed = [
        (i, EventEnvelope.model_validate(event))
        for i, ((_, _, value, _), event) in enumerate(copies)
        if value is not None and _is_personal(value)
    ]
    out = [copy for copy, _ in copies]
    if not sealed:
        return out
    readable = {e.event_id: e for e in await sealer.open_events([e for _, e in sealed])}
    for i, envelope in reversed(sealed):
        topic, key, _, headers = out[i]
        if (found := readable.get(envelope.event_id)) is None:
            del out[i]
        else:
            out[i] = (topic, key, found.model_dump_json().encode(), headers)
    return out


def _is_personal(value: bytes) -> bool:
    return b'"rt1:' in value


def register(
    app: faust.App,
    registry: IntegrationRegistry,
    publisher: Publisher,
    sealer: Sealer,
    topics: Sequence[str],
    namespace: str,
) -> None:
    events = app.topic(*topics)

    async def copy_to_agencies(stream: faust.StreamT[bytes]) -> None:
        batches = cast(faust.Stream[bytes], stream).take_events(
            BATCH_SIZE, within=BATCH_WINDOW_SECONDS
        )
        async for batch in batches:
            records = [(e.message.key, e.message.value) for e in batch]
            delay = 0.2
            # Until the copies are out the batch must not be acknowledged: a store or the
            # broker away is waited out, never skipped.
            while True:
                try:
                    tenants = await registry.integrated_tenants()
                    found = agency_copies(records, tenants, namespace) if tenants else []
                    copies = await opened(found, sealer)
                    if copies:
                        await publisher.publish_many(copies)
                    break
                except Exception as exc:
                    log.warning("copying events to agencies failed (%r); retrying", exc)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, MAX_DELAY_SECONDS)

    app.agent(events, name="integrations.agency-events")(copy_to_agencies)
