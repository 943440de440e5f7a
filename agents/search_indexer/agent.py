"""Keeps the OpenSearch candidate index in step with candidate events."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from uuid import UUID

import faust

from agents.publishing import FaustPublisher
from agents.search_indexer.alerts import raise_alerts
from agents.search_indexer.documents import candidate_document
from agents.search_indexer.events import readable_events
from agents.search_indexer.retrying import until_written
from stores.bundle import Stores
from stores.search.candidate_writes import SubmissionStages
from topics.candidates import (
    CANDIDATE_CREATED,
    CANDIDATE_ERASED,
    CANDIDATE_MERGED,
    CANDIDATE_UPDATED,
    DOCUMENT_PARSED,
)
from topics.envelopes import EventEnvelope

log = logging.getLogger(__name__)

INDEXED_TYPES = frozenset({CANDIDATE_CREATED, CANDIDATE_UPDATED})
BATCH_SIZE = 1000
BATCH_WINDOW_SECONDS = 0.02


@dataclass
class IndexBatch:
    """What one batch of events asks of the index: documents to write, ids to remove."""

    docs: dict[str, dict[str, Any]] = field(default_factory=dict)
    resumes: dict[str, str] = field(default_factory=dict)
    erased: set[str] = field(default_factory=set)
    # Stage entries a merge's survivor took over from its duplicate.
    merges: list[SubmissionStages] = field(default_factory=list)


def documents_from(events: Sequence[EventEnvelope]) -> IndexBatch:
    """What a batch of (opened) events asks of the index; skip what is not ours to index."""
    batch = IndexBatch()
    for event in events:
        candidate_id = str(event.aggregate_id)
        if event.type == CANDIDATE_ERASED:
            batch.docs.pop(candidate_id, None)
            batch.resumes.pop(candidate_id, None)
            batch.erased.add(candidate_id)
            continue
        if event.type == CANDIDATE_MERGED:
            # The submissions the survivor took over count for the survivor now.
            moved = {
                str(m["id"]): {"stage": m["stage"], "version": m["version"]}
                for m in event.data.get("moved") or []
            }
            if moved:
                batch.merges.append(SubmissionStages(str(event.tenant_id), candidate_id, moved))
            continue
        if event.type == DOCUMENT_PARSED:
            # The latest resume's text is searchable with the candidate.
            text = event.data.get("text")
            if isinstance(text, str) and text.strip() and candidate_id not in batch.erased:
                batch.resumes[candidate_id] = text
            continue
        if event.type not in INDEXED_TYPES:
            continue
        if event.data.get("merged_into") is not None:
            # A merged duplicate is found through its survivor, not on its own.
            batch.docs.pop(candidate_id, None)
            batch.erased.add(candidate_id)
            continue
        try:
            doc = candidate_document(event.data)
        except (KeyError, TypeError, AttributeError) as exc:
            log.error("skipping event %s with bad data: %r", event.event_id, exc)
            continue
        prior = batch.docs.get(doc["id"])
        if doc["id"] not in batch.erased and (prior is None or prior["version"] <= doc["version"]):
            batch.docs[doc["id"]] = doc
    return batch


def register(
    app: faust.App,
    stores: Stores,
    topic: str,
    alerts_topic: str,
    window: float = BATCH_WINDOW_SECONDS,
) -> None:
    events = app.topic(topic)
    publisher = FaustPublisher(app)

    @app.agent(events, name="search-indexer.candidates")
    async def index_candidates(stream: faust.StreamT[bytes]) -> None:
        async for batch in stream.take(BATCH_SIZE, within=window):
            events = list(readable_events(batch, "candidate"))
            await until_written(
                f"{len(events)} candidate events",
                stores,
                partial(_write, stores, publisher, alerts_topic, events),
            )


async def _write(
    stores: Stores, publisher: FaustPublisher, alerts_topic: str, events: list[EventEnvelope]
) -> None:
    # Personal fields arrive sealed; an erased person's events no longer open, and are
    # left out (their erasure, later in the topic, removes the document).
    wanted = documents_from(await stores.sealer.open_events(events))
    search = stores.search
    await search.bulk_index_candidates(list(wanted.docs.values()), wanted.resumes)
    await search.fold_submissions(wanted.merges)
    for candidate_id in wanted.erased:
        await search.delete_candidate(UUID(candidate_id))
    newest = max((e.occurred_at for e in events), default=None)
    await raise_alerts(stores, publisher, alerts_topic, list(wanted.docs.values()), newest)
