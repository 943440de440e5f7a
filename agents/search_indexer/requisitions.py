"""Keeps the OpenSearch requisition index in step with requisition events."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

import faust

from agents.search_indexer.events import readable_events
from agents.search_indexer.retrying import until_written
from stores.bundle import Stores
from stores.search.requisitions import requisition_document
from topics.requisitions import (
    REQUISITION_CREATED,
    REQUISITION_STATUS_CHANGED,
    REQUISITION_UPDATED,
)

log = logging.getLogger(__name__)

INDEXED_TYPES = frozenset({REQUISITION_CREATED, REQUISITION_UPDATED, REQUISITION_STATUS_CHANGED})
BATCH_SIZE = 500
BATCH_WINDOW_SECONDS = 0.02


def requisition_documents(values: Sequence[bytes | None]) -> list[dict[str, Any]]:
    """The newest document of each requisition a batch of events describes."""
    newest: dict[str, dict[str, Any]] = {}
    for event in readable_events(values, "requisition"):
        if event.type not in INDEXED_TYPES:
            continue
        try:
            doc = requisition_document(event.data)
        except (KeyError, TypeError, ValueError) as exc:
            log.error("skipping event %s with bad data: %r", event.event_id, exc)
            continue
        prior = newest.get(doc["id"])
        if prior is None or prior["version"] <= doc["version"]:
            newest[doc["id"]] = doc
    return list(newest.values())


def register(app: faust.App, stores: Stores, topic: str) -> None:
    events = app.topic(topic)

    @app.agent(events, name="search-indexer.requisitions")
    async def index_requisitions(stream: faust.StreamT[bytes]) -> None:
        async for batch in stream.take(BATCH_SIZE, within=BATCH_WINDOW_SECONDS):
            docs = requisition_documents(batch)
            await until_written(
                f"{len(docs)} requisitions",
                stores,
                partial(stores.search.bulk_index_requisitions, docs),
            )
