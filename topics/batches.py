"""Batch commands and batch events: many creates in one message, and back.

An importer sends `candidate.create_batch` (rows of `candidate.create` payloads, each with
its `row` index); the worker applies each row as the single command it stands for
(`row_commands`: its own id, `uuid5(batch id, row)`, its own person's key), so the ledger,
the audit log and the rules see single creates. The events of one batch travel as one
`candidate.created_batch` message (`batch_events`), and every follower turns it back into
the single `candidate.created` events before it reads them: as messages
(`expand_values`, `expand_records`), or parsed (`expand_parsed`, `expand_parsed_records`:
each message and each member parsed once, never dumped to be parsed again). Kafka's and
the event loop's per-message costs are paid once per batch, and nobody downstream (a
webhook, the changes feed, an integration) sees anything but single events.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple
from uuid import UUID

import orjson

from topics.candidates import (
    BATCH_MAX_ROWS,
    CANDIDATE_CREATE,
    CANDIDATE_CREATE_BATCH,
    CANDIDATE_CREATED,
    CANDIDATE_CREATED_BATCH,
)
from topics.envelopes import CommandEnvelope, EventEnvelope

ROW_TYPES: Mapping[str, str] = {CANDIDATE_CREATE_BATCH: CANDIDATE_CREATE}
"""Each batch command type and the command type of its rows."""

BATCHED_EVENTS: Mapping[str, str] = {CANDIDATE_CREATED: CANDIDATE_CREATED_BATCH}
"""The events a batch command's rows emit, and the batch event that carries them."""

BATCH_EVENT_TYPES = frozenset(BATCHED_EVENTS.values())

EVENT_BYTES = 400_000
"""A batch event is split so that none carries members of more than this many bytes of
JSON: well under the producers' and the broker's one-megabyte cap on a message."""

# Cheap test before a parse: every batch event's type ends so (a false positive, the
# text in some readable field, only costs that parse).
_BATCH_MARK = b'_batch"'


# The head of a batch event's message as the processor writes it (pydantic's compact JSON,
# fields in the envelope's order): its agency is read without parsing a megabyte.
_HEAD = re.compile(rb'\{"event_id":"[^"]*","type":"([a-z_.]+)","tenant_id":"([0-9a-f-]{36})"')


def batch_tenant(value: bytes) -> str | None:
    """The agency of a batch event's message, read from its head; None for any other
    message (then parse it)."""
    found = _HEAD.match(value)
    if found is None or found.group(1).decode() not in BATCH_EVENT_TYPES:
        return None
    return found.group(2).decode()


class MalformedBatch(ValueError):
    """A batch command whose rows cannot be told apart: refused whole."""


def is_batch(command_type: str) -> bool:
    return command_type in ROW_TYPES


def row_command_id(batch_id: UUID, row: int) -> UUID:
    """A row's own command id: a redelivered (or re-sent) batch names the same rows."""
    return uuid.uuid5(batch_id, f"row:{row}")


def batch_rows(payload: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """(row index, row payload without the index) of each row; raises MalformedBatch when
    the rows cannot be told apart (the fields of each row are checked as a single
    command's, by its handler)."""
    rows = payload.get("rows")
    if not isinstance(rows, list) or not rows:
        raise MalformedBatch('a batch\'s payload is {"rows": [...]} with at least one row')
    if len(rows) > BATCH_MAX_ROWS:
        raise MalformedBatch(f"a batch holds at most {BATCH_MAX_ROWS} rows; this one {len(rows)}")
    out: list[tuple[int, dict[str, Any]]] = []
    seen: set[int] = set()
    for item in rows:
        index = item.get("row") if isinstance(item, dict) else None
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise MalformedBatch("every row of a batch needs its `row`, an integer >= 0")
        if index in seen:
            raise MalformedBatch(f"row {index} is in the batch twice; each `row` is unique")
        seen.add(index)
        out.append((index, {k: v for k, v in item.items() if k != "row"}))
    return out


def row_commands(batch: CommandEnvelope) -> list[tuple[int, CommandEnvelope]]:
    """The batch's rows as the single commands they stand for, with their row index: each
    with its own id and its person as subject (sealed with that person's key), the
    batch's agency, actor, times and deadline. Raises MalformedBatch."""
    row_type = ROW_TYPES[batch.type]
    out = []
    for index, payload in batch_rows(batch.payload):
        out.append(
            (
                index,
                batch.model_copy(
                    update={
                        "command_id": row_command_id(batch.command_id, index),
                        "type": row_type,
                        "payload": payload,
                        "subject_id": _subject(payload),
                        "reply": False,
                    }
                ),
            )
        )
    return out


def with_rows(
    batch: CommandEnvelope, rows: Sequence[tuple[int, CommandEnvelope]]
) -> CommandEnvelope:
    """The batch with its rows' payloads replaced (after sealing them one by one); the
    batch names no single person, so it has no subject of its own."""
    payload = {"rows": [{**command.payload, "row": index} for index, command in rows]}
    return batch.model_copy(update={"payload": payload, "subject_id": None})


def _subject(payload: dict[str, Any]) -> UUID | None:
    try:
        return UUID(str(payload["candidate_id"]))
    except (KeyError, ValueError, TypeError):
        return None  # the handler refuses the row with the reason


def batch_events(
    batch: CommandEnvelope,
    events: Sequence[EventEnvelope],
    dumped: Mapping[UUID, dict[str, Any]] | None = None,
) -> list[EventEnvelope]:
    """A batch command's events as few messages: the batched kinds in one batch event
    each (in order), anything else as it is. The batch event's id derives from the batch,
    so a re-emitted one is recognisably the same. A batch whose events would make too big
    a message (EVENT_BYTES) leaves as several. `dumped` has events already made JSON-ready
    (for the ledger), by event id."""
    grouped: dict[str, list[EventEnvelope]] = {}
    others: list[EventEnvelope] = []
    for event in events:
        if event.type in BATCHED_EVENTS:
            grouped.setdefault(BATCHED_EVENTS[event.type], []).append(event)
        else:
            others.append(event)
    out = list(others)
    for batch_type, members in grouped.items():
        for part, (first, run) in enumerate(_parts(members, dumped or {})):
            out.append(
                EventEnvelope(
                    event_id=uuid.uuid5(batch.command_id, f"{batch_type}:{part}"),
                    type=batch_type,
                    tenant_id=batch.tenant_id,
                    aggregate_id=batch.command_id,
                    version=part,
                    occurred_at=first.occurred_at,
                    caused_by=batch.command_id,
                    actor=batch.actor,
                    data={"events": run},
                )
            )
    return out


def _parts(
    members: Sequence[EventEnvelope], dumped: Mapping[UUID, dict[str, Any]]
) -> list[tuple[EventEnvelope, list[dict[str, Any]]]]:
    """The members as JSON-ready dicts, in runs of at most EVENT_BYTES (at least one
    each), with each run's first event."""
    parts: list[tuple[EventEnvelope, list[dict[str, Any]]]] = []
    run: list[dict[str, Any]] = []
    first = members[0]
    size = 0
    for event in members:
        as_json = dumped.get(event.event_id) or event.model_dump(mode="json")
        n = len(orjson.dumps(as_json))
        if run and size + n > EVENT_BYTES:
            parts.append((first, run))
            run, size, first = [], 0, event
        run.append(as_json)
        size += n
    parts.append((first, run))
    return parts


def batch_members(value: bytes) -> list[dict[str, Any]] | None:
    """The single events of a batch event's message, parsed; None when it is not one (a
    single event's message is not parsed: the cheap test above says it is none)."""
    if _BATCH_MARK not in value:
        return None
    try:
        loaded = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(loaded, dict) or loaded.get("type") not in BATCH_EVENT_TYPES:
        return None
    data = loaded.get("data")
    members = data.get("events") if isinstance(data, dict) else None
    if not isinstance(members, list):
        return None
    return [m for m in members if isinstance(m, dict)]


def expand_values(values: Sequence[bytes | None]) -> list[bytes | None]:
    """Event message values with every batch event replaced by its single events, in
    order, each as the JSON it would have had as a message of its own."""
    out: list[bytes | None] = []
    for value in values:
        members = batch_members(value) if value is not None else None
        if members is None:
            out.append(value)
        else:
            out.extend(orjson.dumps(m) for m in members)
    return out


def expand_records(
    records: Sequence[tuple[bytes | None, bytes | None]],
) -> list[tuple[bytes | None, bytes | None]]:
    """(key, value) of event messages, batch events expanded; each single event keyed by
    its aggregate as it would have been on its own."""
    out: list[tuple[bytes | None, bytes | None]] = []
    for key, value in records:
        members = batch_members(value) if value is not None else None
        if members is None:
            out.append((key, value))
        else:
            out.extend((str(m.get("aggregate_id", "")).encode(), orjson.dumps(m)) for m in members)
    return out


class Unreadable(NamedTuple):
    """A message that is not a JSON object: each follower judges (and logs) it its own way."""

    value: bytes


Parsed = dict[str, Any] | Unreadable | None
"""An event message parsed: the event's JSON object, Unreadable, or None (a tombstone)."""


def _parsed(value: bytes | None) -> tuple[list[Parsed], bool]:
    """A message parsed once, and whether it was a batch event (then its single events, in
    order)."""
    if value is None:
        return [None], False
    try:
        loaded = orjson.loads(value)
    except orjson.JSONDecodeError:
        return [Unreadable(value)], False
    if not isinstance(loaded, dict):
        return [Unreadable(value)], False
    if loaded.get("type") in BATCH_EVENT_TYPES:
        data = loaded.get("data")
        members = data.get("events") if isinstance(data, dict) else None
        if isinstance(members, list):
            return [m for m in members if isinstance(m, dict)], True
    return [loaded], False


def expand_parsed(values: Sequence[bytes | None]) -> list[Parsed]:
    """As `expand_values`, each event already parsed: a batch event's members are taken as
    the dicts its parse gave, not dumped for the follower to parse again. The dicts are
    the caller's (fresh from the parse): it may change them."""
    return [item for value in values for item in _parsed(value)[0]]


def expand_parsed_records(
    records: Sequence[tuple[bytes | None, bytes | None]],
) -> list[tuple[bytes | None, Parsed, bytes | None]]:
    """As `expand_records`, with each event parsed: (key, parsed, value), where the value
    is the message as it came for a single event, and None for a batch's member (dump the
    parsed one when its bytes are needed: what `expand_records` would have given)."""
    out: list[tuple[bytes | None, Parsed, bytes | None]] = []
    for key, value in records:
        items, batch = _parsed(value)
        if not batch:
            out.append((key, items[0], value))
            continue
        out.extend(
            (str(m.get("aggregate_id", "")).encode(), m, None) for m in items if isinstance(m, dict)
        )
    return out
