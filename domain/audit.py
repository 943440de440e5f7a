"""The audit log's rules: what an entry holds, how entries are chained, how a chain is checked.

Each agency's entries form one chain: entry `seq` carries the hash of entry `seq - 1`
(`prev_hash`) and a hash of its own content and of that link (`hash`). Changing an entry
changes its hash, and breaks the link the next one holds; deleting one leaves a gap in
`seq`; deleting the newest ones leaves the chain's head (kept beside the chain) pointing
past the end. `ChainWalker` finds the first of these, and checks the chain still passes
through a head recorded earlier elsewhere (an anchor), which a wholesale rewrite does not.

The hash covers a canonical JSON form of the entry, so whoever reads the rows back (the
CLI, another language) can recompute it: keys sorted, no spaces, ASCII only, times in UTC
with microseconds, ids as lower-case strings.

An entry names records by id and says which fields changed by name: never a value, so the
log holds nothing an erasure would have to reach (`safe_detail` refuses anything else).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, get_args
from uuid import UUID

AuditAction = Literal[
    "read",
    "list",
    "create",
    "update",
    "delete",
    "erase",
    "merge",
    "export",
    "login",
    "login_failed",
]
ACTIONS: tuple[AuditAction, ...] = get_args(AuditAction)

GENESIS_HASH = "0" * 64
"""The `prev_hash` of an agency's first entry."""

MAX_DETAIL_KEYS = 20
MAX_DETAIL_TEXT = 200
MAX_DETAIL_LIST = 200


@dataclass(frozen=True, slots=True)
class AuditDraft:
    """What happened, before it takes its place in its agency's chain."""

    tenant_id: UUID
    action: AuditAction
    actor: str
    """Who: a user id, an API key id, an integration id, or a job's or system's name."""
    actor_kind: str
    at: datetime
    subject_type: str | None = None
    subject_id: UUID | None = None
    subject_ids: tuple[UUID, ...] = ()
    """Every record the action touched or a list answer returned (the subject included)."""
    detail: Mapping[str, Any] = field(default_factory=dict)
    address: str | None = None
    """The client's address as the gateway saw it; None for jobs and integrations."""


@dataclass(frozen=True, slots=True)
class ChainHead:
    """Where an agency's chain ends: the newest entry's seq and hash (0 and GENESIS: empty)."""

    seq: int = 0
    hash: str = GENESIS_HASH


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One entry of the chain, as stored."""

    id: UUID
    tenant_id: UUID
    seq: int
    at: datetime
    action: str
    actor: str
    actor_kind: str
    address: str | None
    subject_type: str | None
    subject_id: UUID | None
    subject_ids: tuple[UUID, ...]
    detail: Mapping[str, Any]
    prev_hash: str
    hash: str


def draft(
    tenant_id: UUID,
    action: AuditAction,
    *,
    actor: str,
    actor_kind: str,
    at: datetime,
    subject_type: str | None = None,
    subject_id: UUID | None = None,
    subject_ids: Iterable[UUID] = (),
    detail: Mapping[str, Any] | None = None,
    address: str | None = None,
) -> AuditDraft:
    """A draft with its subject first among `subject_ids`, each id once, and a checked detail.

    The subject is always among `subject_ids`, so one filter (`?subject_id=`) finds an
    action on a record and every list answer that returned it.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action '{action}'; one of {', '.join(ACTIONS)}")
    ids = [subject_id] if subject_id is not None else []
    ids.extend(subject_ids)
    return AuditDraft(
        tenant_id=tenant_id,
        action=action,
        actor=actor,
        actor_kind=actor_kind,
        # Postgres keeps microseconds: the hash must cover what is read back.
        at=at.astimezone(UTC),
        subject_type=subject_type,
        subject_id=subject_id,
        subject_ids=tuple(dict.fromkeys(ids)),
        detail=safe_detail(detail or {}),
        address=address,
    )


def safe_detail(detail: Mapping[str, Any]) -> dict[str, Any]:
    """The detail as stored, or ValueError: short ids, names and counts only, no floats.

    Values are strings (ids, field names, a route, a reason code) of at most
    MAX_DETAIL_TEXT characters, integers, booleans, or lists of those; anything longer
    or deeper is a bug in the caller (it would be a place for personal data to hide),
    and floats are refused because their text may not survive the database unchanged.
    """
    if len(detail) > MAX_DETAIL_KEYS:
        raise ValueError(f"an audit detail has at most {MAX_DETAIL_KEYS} keys")
    out: dict[str, Any] = {}
    for key, value in detail.items():
        if not isinstance(key, str) or len(key) > 50:
            raise ValueError("audit detail keys are short strings")
        if isinstance(value, list | tuple):
            if len(value) > MAX_DETAIL_LIST:
                raise ValueError(f"audit detail '{key}' lists more than {MAX_DETAIL_LIST} items")
            out[key] = [_scalar(key, v) for v in value]
        else:
            out[key] = _scalar(key, value)
    return out


def _scalar(key: str, value: Any) -> str | int | bool | None:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, str) and len(value) <= MAX_DETAIL_TEXT:
        return value
    raise ValueError(f"audit detail '{key}' must be an id, a name or a count")


def canonical(
    *,
    tenant_id: UUID,
    seq: int,
    at: datetime,
    action: str,
    actor: str,
    actor_kind: str,
    address: str | None,
    subject_type: str | None,
    subject_id: UUID | None,
    subject_ids: Sequence[UUID],
    detail: Mapping[str, Any],
    prev_hash: str,
) -> bytes:
    """The bytes an entry's hash covers."""
    document = {
        "tenant_id": str(tenant_id),
        "seq": seq,
        "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "action": action,
        "actor": actor,
        "actor_kind": actor_kind,
        "address": address,
        "subject_type": subject_type,
        "subject_id": str(subject_id) if subject_id is not None else None,
        "subject_ids": [str(i) for i in subject_ids],
        "detail": detail,
        "prev_hash": prev_hash,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def entry_hash(entry: AuditEntry) -> str:
    """What `entry.hash` must be, recomputed from the entry's content and link."""
    return hashlib.sha256(
        canonical(
            tenant_id=entry.tenant_id,
            seq=entry.seq,
            at=entry.at,
            action=entry.action,
            actor=entry.actor,
            actor_kind=entry.actor_kind,
            address=entry.address,
            subject_type=entry.subject_type,
            subject_id=entry.subject_id,
            subject_ids=entry.subject_ids,
            detail=entry.detail,
            prev_hash=entry.prev_hash,
        )
    ).hexdigest()


def chain(
    head: ChainHead, drafts: Sequence[AuditDraft], ids: Sequence[UUID]
) -> tuple[list[AuditEntry], ChainHead]:
    """Entries for one agency's drafts, appended after `head`; and the new head.

    `ids` gives each entry its id (one per draft), so this stays free of randomness.
    """
    if len(ids) != len(drafts):
        raise ValueError("one id per draft")
    if len({d.tenant_id for d in drafts}) > 1:
        raise ValueError("one agency's chain at a time")
    entries: list[AuditEntry] = []
    seq, prev = head.seq, head.hash
    for entry_id, d in zip(ids, drafts, strict=True):
        seq += 1
        unsigned = AuditEntry(
            id=entry_id,
            tenant_id=d.tenant_id,
            seq=seq,
            at=d.at,
            action=d.action,
            actor=d.actor,
            actor_kind=d.actor_kind,
            address=d.address,
            subject_type=d.subject_type,
            subject_id=d.subject_id,
            subject_ids=d.subject_ids,
            detail=d.detail,
            prev_hash=prev,
            hash="",
        )
        prev = entry_hash(unsigned)
        entries.append(_with_hash(unsigned, prev))
    return entries, ChainHead(seq, prev)


def _with_hash(entry: AuditEntry, value: str) -> AuditEntry:
    return AuditEntry(
        id=entry.id,
        tenant_id=entry.tenant_id,
        seq=entry.seq,
        at=entry.at,
        action=entry.action,
        actor=entry.actor,
        actor_kind=entry.actor_kind,
        address=entry.address,
        subject_type=entry.subject_type,
        subject_id=entry.subject_id,
        subject_ids=entry.subject_ids,
        detail=entry.detail,
        prev_hash=entry.prev_hash,
        hash=value,
    )


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first entry that is not what the chain says it should be."""

    seq: int
    reason: str


@dataclass(frozen=True, slots=True)
class ChainVerdict:
    entries: int
    """How many entries were checked."""
    head: ChainHead
    """The head as recorded beside the chain."""
    broken: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.broken is None


class ChainWalker:
    """Checks an agency's entries fed in `seq` order, a page at a time; stops at the first break.

    `anchor` is a head recorded earlier, elsewhere (what `audit verify` printed then): the
    chain must still pass through it. A chain rewritten wholesale from some entry on, head
    included, verifies on its own; it no longer passes through an older anchor.
    """

    def __init__(self, anchor: ChainHead | None = None) -> None:
        self.checked = 0
        self.broken: ChainBreak | None = None
        self._seq = 0
        self._hash = GENESIS_HASH
        self._anchor = anchor

    def feed(self, entries: Iterable[AuditEntry]) -> ChainBreak | None:
        for entry in entries:
            if self.broken is not None:
                break
            self.broken = self._check(entry)
            if self.broken is None:
                self.checked += 1
                self._seq, self._hash = entry.seq, entry.hash
        return self.broken

    def _check(self, entry: AuditEntry) -> ChainBreak | None:
        expected = self._seq + 1
        if entry.seq != expected:
            return ChainBreak(
                expected, f"entry {expected} is missing (the next one is {entry.seq})"
            )
        if entry.prev_hash != self._hash:
            return ChainBreak(entry.seq, "its link to the entry before does not match")
        if entry_hash(entry) != entry.hash:
            return ChainBreak(entry.seq, "its content no longer matches its hash")
        anchor = self._anchor
        if anchor is not None and entry.seq == anchor.seq and entry.hash != anchor.hash:
            return ChainBreak(entry.seq, "its hash is not the one recorded for it (anchor)")
        return None

    def finish(self, head: ChainHead) -> ChainVerdict:
        """The verdict, once every entry was fed; `head` is the one recorded beside the chain."""
        anchor = self._anchor
        if self.broken is None and anchor is not None and anchor.seq > self._seq:
            self.broken = ChainBreak(
                self._seq + 1, f"the chain no longer reaches the anchor at seq {anchor.seq}"
            )
        if self.broken is None and (head.seq, head.hash) != (self._seq, self._hash):
            if head.seq > self._seq:
                self.broken = ChainBreak(
                    self._seq + 1,
                    f"entries {self._seq + 1} to {head.seq} are missing (the head is at "
                    f"{head.seq})",
                )
            else:
                self.broken = ChainBreak(
                    head.seq + 1 if head.seq < self._seq else head.seq,
                    "the chain's head does not match its newest entry",
                )
        return ChainVerdict(self.checked, head, self.broken)


def verify(
    entries: Iterable[AuditEntry], head: ChainHead, anchor: ChainHead | None = None
) -> ChainVerdict:
    """Check a whole chain at once (ChainWalker for one read in pages)."""
    walker = ChainWalker(anchor)
    walker.feed(entries)
    return walker.finish(head)
