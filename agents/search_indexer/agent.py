"""Keeps the OpenSearch candidate index in step with candidate events."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import faust
from pydantic import ValidationError

from agents.search_indexer.documents import candidate_document
from stores.bundle import Stores
from topics.candidates import CANDIDATE_CREATED, CANDIDATE_UPDATED, CandidateSnapshot
from topics.envelopes import EventEnvelope

log = logging.getLogger(__name__)

INDEXED_TYPES = frozenset({CANDIDATE_CREATED, CANDIDATE_UPDATED})
BATCH_SIZE = 500
BATCH_WINDOW_SECONDS = 0.02


def documents_from(values: Sequence[bytes | None]) -> list[dict[str, Any]]:
    """Parse a batch of event messages into index documents; skip what is not ours to index."""
    docs: dict[str, dict[str, Any]] = {}
    for value in values:
        try:
            event = EventEnvelope.model_validate_json(value or b"")
        except ValidationError as exc:
            log.error("skipping an unparseable candidate event: %s", exc)
            continue
        if event.type not in INDEXED_TYPES:
            continue
        try:
            doc = candidate_document(CandidateSnapshot.model_validate(event.data))
        except ValidationError as exc:
            log.error("skipping event %s with bad data: %s", event.event_id, exc)
            continue
        prior = docs.get(doc["id"])
        if prior is None or prior["version"] <= doc["version"]:
            docs[doc["id"]] = doc
    return list(docs.values())


def register(app: faust.App, stores: Stores, topic: str) -> None:
    events = app.topic(topic)

    @app.agent(events, name="search-indexer.candidates")
    async def index_candidates(stream: faust.StreamT[bytes]) -> None:
        async for batch in stream.take(BATCH_SIZE, within=BATCH_WINDOW_SECONDS):
            docs = documents_from(batch)
            delay = 0.2
            # An OpenSearch outage delays indexing; it never drops an update.
            while True:
                try:
                    await stores.start()
                    await stores.search.bulk_index_candidates(docs)
                    break
                except Exception as exc:
                    log.warning(
                        "indexing %d documents failed (%s); retrying in %.1fs",
                        len(docs),
                        exc,
                        delay,
                    )
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 10.0)
