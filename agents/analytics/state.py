"""The analytics agent's state: one record per submission, requisition and candidate,
and per agency the sums of what they contribute (see `domain.analytics.model`).

The records live in Faust tables (so a restarted worker, or the one a partition moves
to, recovers them from the changelog); the sums are derived from the records and held in
memory, rebuilt from the tables after every recovery. Candidates are the one kind that
grows with an agency's size (a million imported), so their records are not held in
memory: they are read from the table (on disk, see `agents/analytics/agent.py`) through a
bounded cache (ANALYTICS_CANDIDATE_CACHE_SIZE). Each event is applied by taking
away the contributions of the records it touches, changing the records, and adding their
contributions again: a redelivered or older event (by version) changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from core.bounded_cache import BoundedCache
from domain.analytics.model import (
    Aggregates,
    CandidateState,
    Contribution,
    RequisitionState,
    SubmissionState,
    candidate_contribution,
    epoch,
    first_submitted,
    requisition_contribution,
    submission_contribution,
)
from topics.candidates import (
    CANDIDATE_CREATED,
    CANDIDATE_ERASED,
    CANDIDATE_MERGED,
    CANDIDATE_UPDATED,
)
from topics.pipeline import PLACEMENT_CREATED, SUBMISSION_CREATED, SUBMISSION_STAGE_CHANGED
from topics.requisitions import REQUISITION_CREATED, REQUISITION_STATUS_CHANGED, REQUISITION_UPDATED

log = logging.getLogger(__name__)

PENDING = "pending|"


class Fact(Protocol):
    """What the state reads of an event: an `EventEnvelope`, or the light `ReadEvent`."""

    @property
    def type(self) -> str: ...

    @property
    def tenant_id(self) -> Any: ...

    @property
    def aggregate_id(self) -> Any: ...

    @property
    def data(self) -> dict[str, Any]: ...


class Table(Protocol):
    """Where records are kept: a Faust table (see `ChangelogTable`), a dict in tests."""

    def items(self) -> Iterable[tuple[str, Any]]: ...

    def get(self, key: str, partition: int) -> Any: ...

    def put(self, key: str, value: Any, partition: int) -> None: ...

    def drop(self, key: str, partition: int) -> None: ...


class MemoryTable(dict[str, Any]):
    """A table in a dict, for unit tests and tools."""

    def get(self, key: str, partition: int = 0) -> Any:  # type: ignore[override]
        return super().get(key)

    def put(self, key: str, value: Any, partition: int) -> None:
        self[key] = value

    def drop(self, key: str, partition: int) -> None:
        self.pop(key, None)


SUBMISSION_EVENTS = frozenset({SUBMISSION_CREATED, SUBMISSION_STAGE_CHANGED})
REQUISITION_EVENTS = frozenset(
    {REQUISITION_CREATED, REQUISITION_UPDATED, REQUISITION_STATUS_CHANGED}
)
CANDIDATE_EVENTS = frozenset({CANDIDATE_CREATED, CANDIDATE_UPDATED})
# All of an event's data the analytics read (`apply`), by kind: the router forwards only
# these, so no name, contact point, résumé or written reason reaches the analytics' topic
# or worker. A metric that reads another field adds it here.
CANDIDATE_FIELDS = ("id", "source", "version", "merged_into")
SUBMISSION_FIELDS = ("id", "tenant_id", "candidate_id", "requisition_id", "stage", "version")
MOVE_FIELDS = ("from", "to", "at", "actor")
PLACEMENT_FIELDS = ("id", "submission_id", "margin", "fee", "currency", "created_at")
# Every event type the analytics read; the router forwards only these.
READ_TYPES = (
    SUBMISSION_EVENTS
    | REQUISITION_EVENTS
    | CANDIDATE_EVENTS
    | {PLACEMENT_CREATED, CANDIDATE_ERASED, CANDIDATE_MERGED}
)


def read_part(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """What `AnalyticsState.apply` reads of an event's data: the rest is left out of the
    analytics' topic. Kinds read whole (requisitions, erasures, merges) hold no one's
    personal data."""
    if kind in CANDIDATE_EVENTS:
        return {k: data[k] for k in CANDIDATE_FIELDS if k in data}
    if kind in SUBMISSION_EVENTS:
        part = {k: data[k] for k in SUBMISSION_FIELDS if k in data}
        history = data.get("history")
        if isinstance(history, list):
            part["history"] = [
                {k: h[k] for k in MOVE_FIELDS if k in h} if isinstance(h, dict) else h
                for h in history
            ]
        return part
    if kind == PLACEMENT_CREATED:
        return {k: data[k] for k in PLACEMENT_FIELDS if k in data}
    return data


TRIMMED_TYPES = CANDIDATE_EVENTS | SUBMISSION_EVENTS | {PLACEMENT_CREATED}


# Candidates whose record is kept in memory between reads of the table.
CANDIDATE_CACHE_SIZE = 100_000
# No age bound: this worker is the only writer of its partitions' records, and it writes
# through the cache.
FOREVER = float("inf")


class AnalyticsState:
    def __init__(
        self,
        submissions: Table,
        requisitions: Table,
        candidates: Table,
        *,
        candidate_cache_size: int = CANDIDATE_CACHE_SIZE,
    ) -> None:
        # id -> {"p": partition, "state": {...}}; written at the end of each batch, so a
        # record changed by several events of a batch is written once.
        self._tables: dict[str, Table] = {"s": submissions, "r": requisitions, "c": candidates}
        self._writes: dict[tuple[str, str], tuple[int, Any]] = {}
        self._candidate_cache_size = candidate_cache_size
        self._reset()

    def _reset(self) -> None:
        self.subs: dict[str, SubmissionState] = {}
        # Placements read before their submission (kept in the submissions table too).
        self.pending: dict[str, dict[str, Any]] = {}
        self.reqs: dict[str, RequisitionState] = {}
        # Candidates read from their table, the recently used kept (a 1-tuple: "known
        # absent" is cached too). Holds every candidate this worker changed since it last
        # wrote the tables, until `write_tables`, through `_writes`.
        self.cands: BoundedCache[str, tuple[CandidateState | None]] = BoundedCache(
            self._candidate_cache_size, FOREVER
        )
        self.by_req: dict[str, set[str]] = {}
        self.by_cand: dict[str, set[str]] = {}
        self.tenants: dict[str, Aggregates] = {}
        self.partition_of: dict[str, int] = {}  # tenant -> the partition it is read from

    # -- rebuilding -------------------------------------------------------------------

    def rebuild(self, partitions: set[int] | None = None) -> None:
        """Derive everything in memory from the tables (only `partitions`, if given)."""
        self._reset()

        def mine(entries: Iterable[tuple[str, Any]]) -> Iterable[dict[str, Any]]:
            for key, value in entries:
                if not value or (partitions is not None and value["p"] not in partitions):
                    continue
                if "placement" in value:
                    self.pending[key.removeprefix(PENDING)] = value["placement"]
                    continue
                self.partition_of[value["state"]["tenant_id"]] = value["p"]
                yield value["state"]

        for data in mine(self._tables["r"].items()):
            r = RequisitionState.from_json(data)
            self.reqs[r.id] = r
        for data in mine(self._tables["s"].items()):
            s = SubmissionState.from_json(data)
            self._index(s)
        # Candidates streamed from the table: each adds its contribution, none is kept.
        for data in mine(self._tables["c"].items()):
            c = CandidateState.from_json(data)
            self._agg(c.tenant_id).add(self._cand_contribution(c.id, c))
        for s in self.subs.values():
            self._agg(s.tenant_id).add(self._sub_contribution(s))
        for r in self.reqs.values():
            self._agg(r.tenant_id).add(self._req_contribution(r))

    # -- candidates, read through the cache -------------------------------------------

    def candidate(self, candidate_id: str, tenant_id: str) -> CandidateState | None:
        """The candidate's record: written in this batch, cached, or read from the table."""
        pending = self._writes.get(("c", candidate_id))
        if pending is not None:
            state = pending[1]
            return state if isinstance(state, CandidateState) else None
        cached = self.cands.get(candidate_id)
        if cached is not None:
            return cached[0]
        value = self._tables["c"].get(candidate_id, self.partition_of.get(tenant_id, 0))
        found = CandidateState.from_json(value["state"]) if value else None
        self.cands.put(candidate_id, (found,))
        return found

    # -- contributions ----------------------------------------------------------------

    def _agg(self, tenant_id: str) -> Aggregates:
        return self.tenants.setdefault(tenant_id, Aggregates())

    def _sub_contribution(self, s: SubmissionState) -> Contribution:
        r = self.reqs.get(s.requisition_id)
        c = self.candidate(s.candidate_id, s.tenant_id)
        return submission_contribution(s, r.client_id if r else None, c.source if c else None)

    def _req_contribution(self, r: RequisitionState) -> Contribution:
        subs = (self.subs[sid] for sid in self.by_req.get(r.id, ()))
        return requisition_contribution(r, first_submitted(subs))

    def _cand_contribution(self, cid: str, c: CandidateState) -> Contribution:
        reached: set[str] = set()
        for sid in self.by_cand.get(cid, ()):
            reached |= self.subs[sid].reached()
        return candidate_contribution(c.source, reached)

    def _around(self, tenant_id: str, subs: set[str], reqs: set[str], cands: set[str]) -> Any:
        """Take away the contributions of these records; return a function adding them."""
        agg = self._agg(tenant_id)

        def contributions() -> list[Contribution]:
            found = [self._sub_contribution(self.subs[s]) for s in subs if s in self.subs]
            found += [self._req_contribution(self.reqs[r]) for r in reqs if r in self.reqs]
            for cid in cands:
                c = self.candidate(cid, tenant_id)
                if c is not None:
                    found.append(self._cand_contribution(cid, c))
            return found

        for c in contributions():
            agg.add(c, -1)

        def add_back() -> None:
            for c in contributions():
                agg.add(c)

        return add_back

    # -- indexes and tables -----------------------------------------------------------

    def _index(self, s: SubmissionState) -> None:
        old = self.subs.get(s.id)
        if old is not None:
            self.by_req.get(old.requisition_id, set()).discard(s.id)
            self.by_cand.get(old.candidate_id, set()).discard(s.id)
        self.subs[s.id] = s
        self.by_req.setdefault(s.requisition_id, set()).add(s.id)
        self.by_cand.setdefault(s.candidate_id, set()).add(s.id)

    def _save(self, kind: str, key: str, state: Any, partition: int) -> None:
        self._writes[(kind, key)] = (partition, state)

    def _forget(self, kind: str, key: str, partition: int) -> None:
        self._writes[(kind, key)] = (partition, None)

    def write_tables(self) -> int:
        """Write the records changed since the last call; returns how many."""
        writes, self._writes = self._writes, {}
        for (kind, key), (partition, state) in writes.items():
            if state is None:
                self._tables[kind].drop(key, partition)
            elif isinstance(state, dict):
                self._tables[kind].put(key, state, partition)
            else:
                self._tables[kind].put(key, {"p": partition, "state": state.to_json()}, partition)
        return len(writes)

    # -- events -----------------------------------------------------------------------

    def apply(self, event: Fact, partition: int) -> bool:
        """Apply one event; False when it changed nothing (old, repeated or not ours)."""
        data = event.data
        tenant = str(event.tenant_id)
        self.partition_of[tenant] = partition
        if event.type in SUBMISSION_EVENTS:
            return self._submission(SubmissionState.from_event(data), partition)
        if event.type == PLACEMENT_CREATED:
            return self._placement(data, partition)
        if event.type in REQUISITION_EVENTS:
            return self._requisition(RequisitionState.from_event(data), partition)
        if event.type in CANDIDATE_EVENTS:
            if data.get("merged_into") is not None:
                return self._forget_candidate(str(data["id"]), tenant)
            candidate = CandidateState(
                id=str(data["id"]),
                tenant_id=tenant,
                source=str(data.get("source") or "") or "unknown",
                version=int(data["version"]),
            )
            return self._candidate(candidate, partition)
        if event.type == CANDIDATE_ERASED:
            return self._forget_candidate(str(event.aggregate_id), tenant)
        if event.type == CANDIDATE_MERGED:
            return self._merged(data, tenant, partition)
        return False

    def _submission(self, new: SubmissionState, partition: int) -> bool:
        old = self.subs.get(new.id)
        if old is not None and old.version >= new.version:
            return False
        if old is not None:
            new.placement, new.placed_at = old.placement, old.placed_at
        elif new.id in self.pending:
            placement = self.pending.pop(new.id)
            self._forget("s", PENDING + new.id, partition)
            credit = self._credit(placement)
            if credit is not None:
                new.placement, new.placed_at = credit
        add_back = self._around(
            new.tenant_id,
            {new.id},
            {new.requisition_id},
            {new.candidate_id} | ({old.candidate_id} if old else set()),
        )
        self._index(new)
        self._save("s", new.id, new, partition)
        add_back()
        return True

    def _placement(self, data: dict[str, Any], partition: int) -> bool:
        submission_id = str(data["submission_id"])
        s = self.subs.get(submission_id)
        if s is None:
            # Its submission's events have not been read yet: kept until they are.
            if submission_id not in self.pending:
                self.pending[submission_id] = data
                self._save(
                    "s", PENDING + submission_id, {"p": partition, "placement": data}, partition
                )
            return False
        if s.placement is not None:
            return False  # placed before (placing again keeps the first credit)
        credit = self._credit(data)  # read before anything changes
        if credit is None:
            return False
        add_back = self._around(s.tenant_id, {s.id}, set(), set())
        s.placement, s.placed_at = credit
        self._save("s", s.id, s, partition)
        add_back()
        return True

    @staticmethod
    def _credit(data: dict[str, Any]) -> tuple[tuple[str, str, int], float] | None:
        """A placement's credit: (currency, margin (contract) or fees (permanent), cents),
        and when it was made; None if it has neither amount or they cannot be read."""
        try:
            if data.get("margin") is not None:
                kind, amount = "margin", Decimal(str(data["margin"]))
            elif data.get("fee") is not None:
                kind, amount = "fees", Decimal(str(data["fee"]))
            else:
                return None
            placed_at = epoch(data["created_at"])
        except (InvalidOperation, KeyError, TypeError, ValueError):
            log.error("placement %s cannot be read for the leaderboard", data.get("id"))
            return None
        return (str(data.get("currency") or "XXX"), kind, int(amount * 100)), placed_at

    def _requisition(self, new: RequisitionState, partition: int) -> bool:
        old = self.reqs.get(new.id)
        if old is not None and old.version >= new.version:
            return False
        subs = self.by_req.get(new.id, set())
        # Its submissions count for its client: they move only if the client changes.
        moved = old is None or old.client_id != new.client_id
        add_back = self._around(new.tenant_id, set(subs) if moved else set(), {new.id}, set())
        self.reqs[new.id] = new
        self._save("r", new.id, new, partition)
        add_back()
        return True

    def _candidate(self, new: CandidateState, partition: int) -> bool:
        old = self.candidate(new.id, new.tenant_id)
        if old is not None and old.version >= new.version:
            return False
        subs = self.by_cand.get(new.id, set())
        moved = old is None or old.source != new.source
        add_back = self._around(new.tenant_id, set(subs) if moved else set(), set(), {new.id})
        self.cands.put(new.id, (new,))
        self._save("c", new.id, new, partition)
        add_back()
        return True

    def _forget_candidate(self, candidate_id: str, tenant: str) -> bool:
        if self.candidate(candidate_id, tenant) is None:
            return False
        subs = set(self.by_cand.get(candidate_id, set()))
        add_back = self._around(tenant, subs, set(), {candidate_id})
        self.cands.put(candidate_id, (None,))
        self._forget("c", candidate_id, self.partition_of.get(tenant, 0))
        add_back()
        return True

    def _merged(self, data: dict[str, Any], tenant: str, partition: int) -> bool:
        survivor = str(data["survivor_id"])
        changed = False
        for moved in data.get("moved") or []:
            s = self.subs.get(str(moved["id"]))
            if s is None or s.candidate_id == survivor:
                continue
            add_back = self._around(tenant, {s.id}, set(), {s.candidate_id, survivor})
            self.by_cand.get(s.candidate_id, set()).discard(s.id)
            s.candidate_id = survivor
            self.by_cand.setdefault(survivor, set()).add(s.id)
            self._save("s", s.id, s, partition)
            add_back()
            changed = True
        return changed
