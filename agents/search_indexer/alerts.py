"""Saved-search alerts: candidates just indexed, percolated against the saved searches.

A candidate that newly matches a saved search raises one `saved_search.matched` event
and one entry in its owner's feed; a candidate that keeps matching after further edits
is not news and raises nothing more.
"""

from __future__ import annotations

import math
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from agents.processor import Publisher
from core.clock import utcnow
from stores.bundle import Stores
from stores.postgres.saved_searches import alerting_tenants, known_matches, record_matches
from topics.envelopes import Actor, EventEnvelope
from topics.saved_searches import SAVED_SEARCH_MATCHED, SavedSearchMatch

INDEXER = Actor(id="search-indexer", kind="system")


class WatchedTenants:
    """Which agencies have saved searches with alerts, re-read at most every `ttl` s --
    unless a change to index is newer than the last reading and its agency is not in it.

    Asking on every indexer batch cost interactive writes dearly (a database round trip
    per batch, competing with the command agents for connections). A search saved
    through this process is seen at once (`invalidate`). One saved through another (the
    command worker, when the followers run apart) may be newer than the last reading: a
    candidate created a moment after the search was saved would then not be percolated,
    and its alert never raised. So a change whose agency the reading lacks, made after the
    reading (less CLOCK_MARGIN, for the two processes' clocks), reads the set again.
    """

    CLOCK_MARGIN = timedelta(seconds=1)

    def __init__(self, ttl: float = 2.0) -> None:
        self.ttl = ttl
        self._tenants: frozenset[str] = frozenset()
        self._read_at = -math.inf
        self._read_wall = datetime.min.replace(tzinfo=UTC)

    def invalidate(self) -> None:
        self._read_at = -math.inf

    async def get(
        self, stores: Stores, tenants: Iterable[str] = (), newest: datetime | None = None
    ) -> frozenset[str]:
        """The watched agencies; read again when `ttl` has passed, or when one of `tenants`
        is not in the last reading and `newest` (their latest change) may postdate it."""
        stale = time.monotonic() - self._read_at > self.ttl
        if not stale and newest is not None and newest + self.CLOCK_MARGIN > self._read_wall:
            stale = any(t not in self._tenants for t in tenants)
        if stale:
            read_wall = utcnow()
            async with stores.db.lookup() as conn:
                self._tenants = await alerting_tenants(conn)
            self._read_at, self._read_wall = time.monotonic(), read_wall
        return self._tenants


WATCHED = WatchedTenants()


async def raise_alerts(
    stores: Stores,
    publisher: Publisher,
    alerts_topic: str,
    docs: Sequence[dict[str, Any]],
    newest: datetime | None = None,
) -> int:
    """Percolate `docs` (changed at `newest` at the latest); publish and record the new
    matches. Returns how many."""
    if not docs:
        return 0
    search = stores.search
    watched = await WATCHED.get(stores, {doc["tenant_id"] for doc in docs}, newest)
    by_tenant: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for doc in docs:
        if doc["tenant_id"] in watched:
            by_tenant[doc["tenant_id"]].append(doc)
    now = utcnow()
    found: list[SavedSearchMatch] = []
    for tenant_id, tenant_docs in by_tenant.items():
        hits = await search.matching_saved_searches(tenant_id, tenant_docs)
        for saved, candidate_ids in hits:
            found.extend(
                SavedSearchMatch(
                    saved_search_id=saved["saved_search_id"],
                    tenant_id=UUID(tenant_id),
                    candidate_id=UUID(candidate_id),
                    owner=saved["owner"],
                    name=saved["name"],
                    matched_at=now,
                )
                for candidate_id in candidate_ids
            )
    if not found:
        return 0
    pairs = [(m.saved_search_id, m.candidate_id) for m in found]
    async with stores.db.lookup() as conn:
        known = await known_matches(conn, pairs)
    news = [m for m in found if (m.saved_search_id, m.candidate_id) not in known]
    if not news:
        return 0
    # Published before they are recorded: a crash in between publishes them again with
    # the same event ids, which consumers recognise; recorded first, they could be lost.
    await publisher.publish_many(
        [
            (
                alerts_topic,
                str(m.saved_search_id).encode(),
                _event(m).model_dump_json().encode(),
                [("event_type", SAVED_SEARCH_MATCHED.encode())],
            )
            for m in news
        ]
    )
    async with stores.db.transaction() as conn:
        await record_matches(conn, [m.model_dump(exclude={"name"}) for m in news])
    return len(news)


def _event(match: SavedSearchMatch) -> EventEnvelope:
    event_id = uuid.uuid5(match.saved_search_id, f"matched:{match.candidate_id}")
    return EventEnvelope(
        event_id=event_id,
        type=SAVED_SEARCH_MATCHED,
        tenant_id=match.tenant_id,
        aggregate_id=match.saved_search_id,
        version=0,
        occurred_at=match.matched_at,
        caused_by=event_id,
        actor=INDEXER,
        data=match.model_dump(mode="json"),
    )
