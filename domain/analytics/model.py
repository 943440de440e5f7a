"""The pipeline analytics as plain functions: what each record contributes to the metrics.

The analytics agent keeps one small state per submission, requisition and candidate
(from their latest events) and, per agency, the sum of what every record contributes.
When a record changes, the contributions of the records that depend on it are taken
away, the state changes, and they are added again: the sums are always exactly the sum
over the current states, whatever order or how many times the events arrived. These
definitions are the metrics' definitions; `tests/e2e/test_analytics_truth.py` computes
the same numbers from Postgres.

Metrics, each per agency and per slice (`all`, `requisition`, `client`, `recruiter`,
`source`):

- funnel: submissions now in each stage (`current`) and that ever reached it (`reached`;
  a forward move reaches the stages it skips, so a submission moved straight from
  sourced to interviewing has reached screened, submitted and client_review too);
- conversion: reached(interviewing) / reached(submitted), reached(offered) /
  reached(interviewing), reached(placed) / reached(offered);
- time in stage: every finished stay in a stage (entered → left), mean / p50 / p90;
- time to submit (requisition opened → its first submission reaching `submitted`) and
  time to fill (opened → filled), over requisitions (slices `all`, `requisition`,
  `client`);
- activity: submissions first reaching submitted, interviewing, offered and placed
  (reopening does not count again) in tumbling hourly and daily windows by the time;
- leaderboard: per recruiter (who created the submission) per ISO week of reaching:
  submissions, interviews, placements, and placements' margin (contract, per hour) and
  fees (permanent) per currency;
- sources: per candidate source, candidates, and how many of them reached submitted,
  interviewing and placed in any submission.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from domain.pipeline import FORWARD

HOUR = 3600
DAY = 86400
WEEK = 7 * DAY
# A Monday, 00:00 UTC: weeks are counted from here.
WEEK_ORIGIN = datetime(2024, 1, 1, tzinfo=UTC).timestamp()

# The stage a move enters -> the activity it counts as.
ACTIVITY: dict[str, str] = {
    "submitted": "submissions",
    "interviewing": "interviews",
    "offered": "offers",
    "placed": "placements",
}
LEADERBOARD_KINDS = ("submissions", "interviews", "placements")
CONVERSIONS: tuple[tuple[str, str], ...] = (
    ("submitted", "interviewing"),
    ("interviewing", "offered"),
    ("offered", "placed"),
)
SOURCE_STEPS: dict[str, str] = {
    "submitted": "submitted",
    "interviewing": "interviewed",
    "placed": "placed",
}
UNKNOWN = "unknown"


Slice = tuple[str, str]
ALL: Slice = ("all", "")


def stages_reached_by(stage: str) -> tuple[str, ...]:
    """Moving into a forward stage passes every stage before it (the funnel is cumulative)."""
    if stage in FORWARD:
        return FORWARD[: FORWARD.index(stage) + 1]
    return (stage,)


def epoch(value: str | datetime) -> float:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.timestamp()


def week_of(at: float) -> int:
    """The week's first second (Monday 00:00 UTC), as epoch seconds."""
    return int(WEEK_ORIGIN + ((at - WEEK_ORIGIN) // WEEK) * WEEK)


@dataclass
class Move:
    from_stage: str | None
    to: str
    at: float


@dataclass
class SubmissionState:
    id: str
    tenant_id: str
    candidate_id: str
    requisition_id: str
    recruiter: str
    stage: str
    version: int
    moves: list[Move]
    # (currency, kind, amount in cents) of its placement: kind "margin" or "fees".
    placement: tuple[str, str, int] | None = None
    placed_at: float | None = None

    def first_reached(self) -> dict[str, float]:
        """When each stage was first reached; a forward move reaches the stages it skips."""
        found: dict[str, float] = {}
        for move in self.moves:
            for stage in stages_reached_by(move.to):
                found.setdefault(stage, move.at)
        return found

    def reached(self) -> set[str]:
        return set(self.first_reached())

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tenant_id": self.tenant_id,
            "candidate_id": self.candidate_id,
            "requisition_id": self.requisition_id,
            "recruiter": self.recruiter,
            "stage": self.stage,
            "version": self.version,
            "moves": [[m.from_stage, m.to, m.at] for m in self.moves],
            "placement": list(self.placement) if self.placement else None,
            "placed_at": self.placed_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubmissionState:
        placement = data.get("placement")
        return cls(
            id=data["id"],
            tenant_id=data["tenant_id"],
            candidate_id=data["candidate_id"],
            requisition_id=data["requisition_id"],
            recruiter=data["recruiter"],
            stage=data["stage"],
            version=data["version"],
            moves=[Move(f, t, a) for f, t, a in data["moves"]],
            placement=(placement[0], placement[1], int(placement[2])) if placement else None,
            placed_at=data.get("placed_at"),
        )

    @classmethod
    def from_event(cls, data: dict[str, Any]) -> SubmissionState:
        """From a submission snapshot (`submission.created` / `.stage_changed` data)."""
        history = data["history"]
        return cls(
            id=str(data["id"]),
            tenant_id=str(data["tenant_id"]),
            candidate_id=str(data["candidate_id"]),
            requisition_id=str(data["requisition_id"]),
            recruiter=str(history[0]["actor"]) if history else UNKNOWN,
            stage=str(data["stage"]),
            version=int(data["version"]),
            moves=[Move(h.get("from"), str(h["to"]), epoch(h["at"])) for h in history],
        )


@dataclass
class RequisitionState:
    id: str
    tenant_id: str
    client_id: str
    status: str
    priority: str
    opened_at: float
    filled_at: float | None
    version: int

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RequisitionState:
        return cls(**data)

    @classmethod
    def from_event(cls, data: dict[str, Any]) -> RequisitionState:
        filled = data.get("filled_at")
        return cls(
            id=str(data["id"]),
            tenant_id=str(data["tenant_id"]),
            client_id=str(data["client_id"]),
            status=str(data["status"]),
            priority=str(data.get("priority") or "warm"),
            opened_at=epoch(data["opened_at"]),
            filled_at=epoch(filled) if filled else None,
            version=int(data["version"]),
        )


@dataclass
class CandidateState:
    id: str
    tenant_id: str
    source: str
    version: int

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CandidateState:
        return cls(**data)


@dataclass
class Part:
    """The same counts and duration samples (seconds), added to each of some slices."""

    slices: list[Slice]
    counts: list[tuple[str, int]] = field(default_factory=list)
    samples: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class Contribution:
    """What one record adds to the sums."""

    parts: list[Part] = field(default_factory=list)

    def to(self, slices: list[Slice]) -> Part:
        part = Part(slices)
        self.parts.append(part)
        return part


def submission_contribution(
    s: SubmissionState, client_id: str | None, source: str | None
) -> Contribution:
    c = Contribution()
    slices: list[Slice] = [
        ALL,
        ("requisition", s.requisition_id),
        ("recruiter", s.recruiter),
        ("source", source or UNKNOWN),
    ]
    if client_id is not None:
        slices.append(("client", client_id))
    every, board = c.to(slices), c.to([ALL])
    counts = every.counts
    counts.append((f"current|{s.stage}", 1))
    first = s.first_reached()
    counts.extend((f"reached|{stage}", 1) for stage in first)
    every.samples.extend(
        (f"stay|{here.to}", max(0.0, after.at - here.at))
        for here, after in itertools.pairwise(s.moves)
    )
    for stage, at in first.items():
        kind = ACTIVITY.get(stage)
        if kind is None:
            continue
        counts.append((f"hour|{int(at // HOUR * HOUR)}|{kind}", 1))
        counts.append((f"day|{int(at // DAY * DAY)}|{kind}", 1))
        if kind in LEADERBOARD_KINDS:
            board.counts.append((f"board|{week_of(at)}|{s.recruiter}|{kind}", 1))
    if s.placement is not None and s.placed_at is not None:
        currency, kind, cents = s.placement
        board.counts.append(
            (f"board|{week_of(s.placed_at)}|{s.recruiter}|{kind}|{currency}", cents)
        )
    return c


def requisition_contribution(r: RequisitionState, first_submitted_at: float | None) -> Contribution:
    c = Contribution()
    part = c.to([ALL, ("requisition", r.id), ("client", r.client_id)])
    part.counts.append((f"requisitions|{r.status}", 1))
    if first_submitted_at is not None:
        part.samples.append(("time_to_submit", max(0.0, first_submitted_at - r.opened_at)))
    if r.filled_at is not None:
        part.samples.append(("time_to_fill", max(0.0, r.filled_at - r.opened_at)))
    return c


def candidate_contribution(source: str | None, reached: set[str]) -> Contribution:
    c = Contribution()
    name = source or UNKNOWN
    part = c.to([ALL])
    part.counts.append((f"source|{name}|candidates", 1))
    part.counts.extend(
        (f"source|{name}|{step}", 1) for stage, step in SOURCE_STEPS.items() if stage in reached
    )
    return c


def first_submitted(subs: Iterable[SubmissionState]) -> float | None:
    times = [t for t in (s.first_reached().get("submitted") for s in subs) if t is not None]
    return min(times) if times else None


@dataclass
class SliceTotals:
    counts: dict[str, int] = field(default_factory=dict)
    # Sorted, so percentiles are exact.
    samples: dict[str, list[float]] = field(default_factory=dict)

    def empty(self) -> bool:
        return not self.counts and not any(self.samples.values())


class Aggregates:
    """One agency's sums of contributions, by slice; remembers which slices changed."""

    def __init__(self) -> None:
        self.slices: dict[Slice, SliceTotals] = {}
        self.changed: set[Slice] = set()

    def add(self, c: Contribution, sign: int = 1) -> None:
        for part in c.parts:
            if not part.counts and not part.samples:
                continue
            for where in part.slices:
                totals = self.slices.get(where)
                if totals is None:
                    totals = self.slices[where] = SliceTotals()
                counts = totals.counts
                for key, value in part.counts:
                    total = counts.get(key, 0) + sign * value
                    if total:
                        counts[key] = total
                    else:
                        counts.pop(key, None)
                for key, seconds in part.samples:
                    values = totals.samples.setdefault(key, [])
                    if sign > 0:
                        bisect.insort(values, seconds)
                    else:
                        i = bisect.bisect_left(values, seconds)
                        if i < len(values) and values[i] == seconds:
                            values.pop(i)
                self.changed.add(where)

    def take_changed(self) -> Iterator[tuple[Slice, SliceTotals]]:
        changed, self.changed = self.changed, set()
        for where in sorted(changed):
            yield where, self.slices.get(where, SliceTotals())
