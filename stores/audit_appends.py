"""The gateway's audit entries (reads, lists, searches, exports), written by group commit
on the chain heads this process knows.

A read is recorded before it is answered (gateway/audit_trail.py), so the entry's write
is on the path of every search. Two things keep it short:

- Group commit, as stores/keyring.py `_make` does for person keys: the entries that
  arrive while one write is in flight go together in the next one, one statement for
  the group (each agency's head moved once, its entries chained in the order they
  came), and each caller is answered only once the statement holding its entry has
  committed.
- The head this process last wrote (or read) for an agency is remembered, so a write
  is one statement in autocommit that moves each head only from where it was expected
  and writes the entries of the heads it moved (`audit.append_after`): one round trip,
  where the locking transaction (`audit.append`) takes four (BEGIN, the head's lock, the
  entries, COMMIT). A head someone else moved meanwhile (another gateway process, a
  worker recording changes) comes back in the answer: those entries are chained again
  on it and go in the next statement; after MAX_ATTEMPTS, in the locking transaction,
  which waits its turn and always succeeds.

A failure reaches the callers it concerns: Postgres away fails the whole group (each
caller answers 503); any other failure of a group is retried entry by entry, so one bad
entry fails only its own request. A caller that goes away (cancelled) leaves its entry
to the group: it is written all the same.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from core.bounded_cache import BoundedCache
from core.errors import StoreUnavailable
from domain.audit import AuditDraft, AuditEntry, ChainHead, chain
from stores.postgres import audit
from stores.postgres.database import Database

MAX_ATTEMPTS = 3
"""Statements on a remembered head before an agency's entries take the locking path."""

MAX_GROUP = 200
"""Entries in one statement (14 parameters each; Postgres takes 32,767 in all)."""

HEADS_KEPT = 10_000
"""Agencies whose head a process remembers (the least recently written are forgotten)."""

HEAD_SECONDS = 3600.0
"""A remembered head is only a guess (the statement checks it): kept this long."""


@dataclass(slots=True)
class _Pending:
    """One caller's entry and the future it waits on."""

    draft: AuditDraft
    done: asyncio.Future[AuditEntry] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def __post_init__(self) -> None:
        # The caller may be gone (cancelled): the outcome is read anyway, so a failure
        # nobody waits for is not logged as "never retrieved".
        self.done.add_done_callback(lambda f: f.cancelled() or f.exception())

    def succeed(self, entry: AuditEntry) -> None:
        if not self.done.done():
            self.done.set_result(entry)

    def fail(self, exc: BaseException) -> None:
        if not self.done.done():
            self.done.set_exception(exc)


class AuditAppends:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._heads: BoundedCache[UUID, ChainHead] = BoundedCache(HEADS_KEPT, HEAD_SECONDS)
        # The entries gathering while a write is in flight, and the task that writes one
        # group after another.
        self._waiting: list[_Pending] = []
        self._flusher: asyncio.Task[None] | None = None

    async def append(self, draft: AuditDraft) -> AuditEntry:
        """The entry as chained and stored: answered once the statement that wrote it has
        committed (StoreUnavailable when Postgres cannot be reached)."""
        loop = asyncio.get_running_loop()
        if self._flusher is not None and self._flusher.get_loop() is not loop:
            # Outliving its event loop (a test's, a job's asyncio.run): what the old loop
            # left is not this one's to wait for.
            self._flusher, self._waiting = None, []
        pending = _Pending(draft)
        self._waiting.append(pending)
        if self._flusher is None or self._flusher.done():
            # A task of its own, not the first caller's: a caller that goes away (a client
            # that disconnects) must not take the others' write with it.
            self._flusher = loop.create_task(self._flush())
        # Shielded for the same reason: cancelling one waiter leaves the group to the others.
        return await asyncio.shield(pending.done)

    async def _flush(self) -> None:
        """Write the waiting group, and the one that gathered meanwhile, until none waits."""
        while self._waiting:
            group, self._waiting = self._waiting[:MAX_GROUP], self._waiting[MAX_GROUP:]
            try:
                await self._write(group)
            except asyncio.CancelledError as exc:
                # The process stops: those waiting are told Postgres was not reached, and
                # answer 503 (nothing was answered unrecorded).
                for pending in [*group, *self._waiting]:
                    pending.fail(StoreUnavailable("postgres", exc))
                self._waiting = []
                raise
            except StoreUnavailable as exc:
                # Postgres away: every entry of the group would meet the same.
                for pending in group:
                    pending.fail(exc)
            except Exception as exc:
                await self._one_by_one(group, exc)

    async def _one_by_one(self, group: list[_Pending], exc: Exception) -> None:
        """Something about one entry failed the group: each entry not yet written again on
        its own, so each caller gets its own answer, not another's."""
        left = [p for p in group if not p.done.done()]
        if len(left) == 1:
            left[0].fail(exc)
            return
        for pending in left:
            try:
                await self._write([pending])
            except Exception as own:  # only that caller's request fails
                pending.fail(own)

    async def _write(self, group: Sequence[_Pending]) -> None:
        """Write the group's entries: statements on the remembered heads, then the
        locking transaction for what is left."""
        todo: dict[UUID, list[_Pending]] = {}
        for pending in group:
            todo.setdefault(pending.draft.tenant_id, []).append(pending)
        for _ in range(MAX_ATTEMPTS):
            heads = await self._heads_of(list(todo))
            # An agency's first entry makes its head row, in the locking transaction.
            if new := {t: todo.pop(t) for t in list(todo) if t not in heads}:
                await self._append_locked(new)
            if not todo:
                return
            chained = {
                t: chain(heads[t], [p.draft for p in waiting], [uuid.uuid4() for _ in waiting])[0]
                for t, waiting in todo.items()
            }
            async with self._db.autocommit() as conn:
                moved, found = await audit.append_after(
                    conn, {t: (heads[t], chained[t]) for t in todo}
                )
            # Committed: those callers may be answered.
            for tenant_id in moved:
                entries = chained[tenant_id]
                for pending, entry in zip(todo.pop(tenant_id), entries, strict=True):
                    pending.succeed(entry)
                self._heads.put(tenant_id, ChainHead(entries[-1].seq, entries[-1].hash))
            for tenant_id in todo:
                if tenant_id in found:
                    self._heads.put(tenant_id, found[tenant_id])
                else:
                    self._heads.pop(tenant_id)
            if not todo:
                return
        await self._append_locked(todo)

    async def _heads_of(self, tenant_ids: list[UUID]) -> dict[UUID, ChainHead]:
        """The remembered heads; those not remembered read (one round trip for them all)."""
        heads: dict[UUID, ChainHead] = {}
        for tenant_id in tenant_ids:
            if (head := self._heads.get(tenant_id)) is not None:
                heads[tenant_id] = head
        if unknown := [t for t in tenant_ids if t not in heads]:
            async with self._db.autocommit() as conn:
                found = await audit.heads_of(conn, unknown)
            heads.update(found)
        return heads

    async def _append_locked(self, todo: dict[UUID, list[_Pending]]) -> None:
        """The entries in one transaction that locks each head (`audit.append`)."""
        # `append` answers agency by agency, in id order, each agency's in the order given.
        waiting = [p for t in sorted(todo) for p in todo[t]]
        async with self._db.transaction() as conn:
            entries = await audit.append(conn, [p.draft for p in waiting])
        for pending, entry in zip(waiting, entries, strict=True):
            pending.succeed(entry)
            self._heads.put(entry.tenant_id, ChainHead(entry.seq, entry.hash))
