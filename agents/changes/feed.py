"""Records every domain event in the agency's changes feed (`GET /api/v1/changes`).

The agent reads the domain event topics (topics/changes.py says which) in batches and
writes what the feed keeps of each event (its type, the record's id and version) to
Postgres in one transaction per batch, numbered per agency in the order recorded. An event
delivered again is recorded once (its `event_id` is unique), so the stream's at-least-once
delivery leaves the feed exactly once. A store away is waited out: the batch is not
acknowledged until it is recorded, so nothing is dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import cast

import faust

from stores.bundle import Stores
from stores.postgres import changes as feed
from topics.batches import Unreadable, expand_parsed
from topics.changes import Change, change_of

log = logging.getLogger(__name__)

BATCH_SIZE = 500
# A batch costs a few statements whatever its size, and nobody waits on this agent the
# way a client waits on the index: so it gathers a quarter second of events (about 50
# at 200 creates/s) where the search indexer gathers 20 ms. A change is recorded
# at most that much later (docs/interactive-latency.md).
BATCH_WINDOW_SECONDS = 0.25
FIRST_DELAY_SECONDS = 0.2
MAX_DELAY_SECONDS = 10.0


def changes_in(values: Sequence[bytes | None]) -> list[Change]:
    """What the feed records of a batch of event messages, in their order; tombstones
    (an erasure's, after its event) and what is not a change of a record are left out. A
    batch event (an import's) counts as the single events it carries: one change each,
    read from the dicts its one parse gave."""
    found: list[Change] = []
    for event in expand_parsed(values):
        if event is None:
            continue
        if isinstance(event, Unreadable):
            log.error("changes feed: skipping an unreadable event")
            continue
        change = change_of(event)
        if change is not None:
            found.append(change)
    return found


async def record_until_done(stores: Stores, found: Sequence[Change]) -> None:
    delay = FIRST_DELAY_SECONDS
    while True:
        try:
            async with stores.db.transaction() as conn:
                await feed.record(conn, found)
            return
        except Exception as exc:
            log.warning(
                "recording %d changes failed (%r); retrying in %.1fs", len(found), exc, delay
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_DELAY_SECONDS)


def register(app: faust.App, stores: Stores, topics: Sequence[str]) -> None:
    events = app.topic(*topics)

    async def record_changes(stream: faust.StreamT[bytes]) -> None:
        batches = cast(faust.Stream[bytes], stream).take_events(
            BATCH_SIZE, within=BATCH_WINDOW_SECONDS
        )
        async for batch in batches:
            found = changes_in([e.message.value for e in batch])
            if found:
                await record_until_done(stores, found)

    app.agent(events, name="changes.feed")(record_changes)
