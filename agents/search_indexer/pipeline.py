"""Folds the pipeline's events into candidate documents: stage counts per candidate.

Submission events carry the whole submission (candidate, stage, version). The newest
version of each submission in a batch is folded into its candidate's document by a
script that keeps one entry per submission and derives the counts from the entries, so
a redelivered or late event changes nothing and the candidate and pipeline topics may
be read in any order.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

import faust

from agents.search_indexer.events import readable_events
from agents.search_indexer.retrying import until_written
from stores.bundle import Stores
from stores.search.candidate_writes import SubmissionStages
from topics.pipeline import SUBMISSION_CREATED, SUBMISSION_STAGE_CHANGED

log = logging.getLogger(__name__)

FOLDED_TYPES = frozenset({SUBMISSION_CREATED, SUBMISSION_STAGE_CHANGED})
BATCH_SIZE = 1000
BATCH_WINDOW_SECONDS = 0.05


def stage_changes(values: Sequence[bytes | None]) -> list[SubmissionStages]:
    """The newest stage of each submission in a batch, grouped by candidate."""
    newest: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for event in readable_events(values, "pipeline"):
        if event.type not in FOLDED_TYPES:
            continue
        data = event.data
        try:
            submission_id = str(data["id"])
            entry = {"stage": str(data["stage"]), "version": int(data["version"])}
            owner = (str(data["tenant_id"]), str(data["candidate_id"]))
        except (KeyError, TypeError, ValueError) as exc:
            log.error("skipping event %s with bad data: %r", event.event_id, exc)
            continue
        prior = newest.get(submission_id)
        if prior is None or prior[2]["version"] < entry["version"]:
            newest[submission_id] = (*owner, entry)
    grouped: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for submission_id, (tenant_id, candidate_id, entry) in newest.items():
        grouped.setdefault((tenant_id, candidate_id), {})[submission_id] = entry
    return [
        SubmissionStages(tenant_id=t, candidate_id=c, entries=entries)
        for (t, c), entries in grouped.items()
    ]


def stage_summary(entries: dict[str, dict[str, Any]], closed: frozenset[str]) -> dict[str, Any]:
    """What PIPELINE_SCRIPT derives from the entries, for documents built in Python."""
    counts: dict[str, int] = {}
    for entry in entries.values():
        counts[entry["stage"]] = counts.get(entry["stage"], 0) + 1
    return {
        "submissions": entries,
        "stage_counts": counts,
        "stages": sorted(counts),
        "active_submissions": sum(1 for e in entries.values() if e["stage"] not in closed),
    }


def register(app: faust.App, stores: Stores, topic: str) -> None:
    events = app.topic(topic)

    @app.agent(events, name="search-indexer.pipeline")
    async def fold_stages(stream: faust.StreamT[bytes]) -> None:
        async for batch in stream.take(BATCH_SIZE, within=BATCH_WINDOW_SECONDS):
            changes = stage_changes(batch)
            if not changes:
                continue
            await until_written(
                f"stages of {len(changes)} candidates",
                stores,
                partial(stores.search.fold_submissions, changes),
            )
