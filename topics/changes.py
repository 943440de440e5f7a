"""The changes feed's contract: which events it records, and the little it keeps of each.

`GET /api/v1/changes` is an agency's ordered list of what changed, for a system that
catches up after being away. The worker's feed agent (agents/changes/) reads the domain
event topics and records, per event, its type, the record it is about and that record's
version: ids, names and numbers, never a field of the record, so the feed holds no
personal data and an erasure has nothing to remove from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from topics.candidates import CANDIDATE_ERASED, DOCUMENT_PARSED
from topics.catalog import CATALOG
from topics.clients import CONTACT_ERASED
from topics.names import (
    CANDIDATE_EVENTS,
    CLIENT_EVENTS,
    NOTE_EVENTS,
    PIPELINE_EVENTS,
    REQUISITION_EVENTS,
    SEARCH_EVENTS,
    TopicSpec,
)
from topics.saved_searches import SAVED_SEARCH_DELETED, SAVED_SEARCH_MATCHED

FEED_TOPICS: tuple[TopicSpec, ...] = (
    CANDIDATE_EVENTS,
    CLIENT_EVENTS,
    REQUISITION_EVENTS,
    PIPELINE_EVENTS,
    NOTE_EVENTS,
    SEARCH_EVENTS,
)
"""The event topics the feed agent reads: every domain's (not the analytics' alerts,
which are about service levels, not records)."""

NOT_CHANGES = frozenset({SAVED_SEARCH_MATCHED})
"""Events on those topics that change no record: an alert for one user."""

ERASURES = frozenset({CANDIDATE_ERASED, CONTACT_ERASED})
"""Events that end a record. They carry version 0; the feed gives them the version after
the last it recorded for the record, so a record's versions only grow in the feed."""

# The record an event is about is its aggregate, named by the type's first segment,
# except a resume read: its aggregate is the candidate, its record the document.
_RESOURCE_IN_DATA = frozenset({DOCUMENT_PARSED})

FEED_TYPES: tuple[str, ...] = tuple(
    sorted(
        {
            message.name
            for topic in FEED_TOPICS
            for message in CATALOG[topic]
            if message.name not in NOT_CHANGES
        }
        # Emitted by the saved searches' agent, not (yet) in the catalogue.
        | {SAVED_SEARCH_DELETED}
    )
)
FEED_PREFIXES: tuple[str, ...] = tuple(sorted({f"{t.split('.')[0]}.*" for t in FEED_TYPES}))
"""`candidate.*` and the like: every type of one kind of record."""


def resource_type_of(event_type: str) -> str:
    return event_type.split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class Change:
    """One event as the feed records it."""

    event_id: UUID
    tenant_id: UUID
    type: str
    resource_type: str
    resource_id: UUID
    version: int
    occurred_at: datetime

    @property
    def erasure(self) -> bool:
        return self.type in ERASURES


def change_of(event: Mapping[str, Any]) -> Change | None:
    """What the feed records of an event envelope (parsed JSON); None for one it does not
    record (not a change of a record, or not an envelope of ours).

    Raises nothing: an event it cannot read is skipped by the caller's None.
    """
    try:
        event_type = str(event["type"])
        if event_type in NOT_CHANGES or "." not in event_type:
            return None
        data = event.get("data") or {}
        resource_id = data["id"] if event_type in _RESOURCE_IN_DATA else event["aggregate_id"]
        version = int(event["version"])
        return Change(
            event_id=UUID(str(event["event_id"])),
            tenant_id=UUID(str(event["tenant_id"])),
            type=event_type,
            resource_type=resource_type_of(event_type),
            resource_id=UUID(str(resource_id)),
            # A document is read once and never changes.
            version=max(version, 1) if event_type in _RESOURCE_IN_DATA else version,
            occurred_at=datetime.fromisoformat(str(event["occurred_at"])),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
