"""The events of a batch the indexers read: tombstones and unreadable messages skipped."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

from pydantic import ValidationError

from core.errors import validation_summary
from topics.batches import Unreadable, expand_parsed
from topics.envelopes import EventEnvelope

log = logging.getLogger(__name__)


def readable_events(values: Sequence[bytes | None], what: str) -> Iterator[EventEnvelope]:
    """Each parseable event in order; a tombstone (`None`: its erasure event came first and
    was handled) or a message that is not an event envelope is passed over, logged. A batch
    event (an import's) is read as the single events it carries, validated from the dicts
    its one parse gave (never dumped to be parsed again)."""
    for parsed in expand_parsed(values):
        if parsed is None:
            continue
        if isinstance(parsed, Unreadable):
            log.error("skipping an unreadable %s event: not a JSON object", what)
            continue
        try:
            yield EventEnvelope.model_validate(parsed)
        except ValidationError as exc:
            log.error("skipping an unparseable %s event: %s", what, validation_summary(exc))
