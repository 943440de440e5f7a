"""Turning what was sent and what the stores hold into one row per scenario, and judging it.

Targets (every row): nothing accepted is lost, nothing is applied twice, every refused or
failed request is told so within 5 s, no refused request is applied after all, and
commands apply again within 10 s of the dependency's return. A scenario may add checks
of its own (the poison all in the DLQ, the worker alive, offsets committed...).
"""

from __future__ import annotations

import itertools
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from tests.faults.audit import StoreView
from tests.faults.load import CLIENT_TIMEOUT_SECONDS, HttpCommand, TopicCommand

TOLD_WITHIN_SECONDS = 5.0
RECOVERY_TARGET_SECONDS = 10.0


@dataclass
class Outage:
    """A dependency taken away at `down_at` and given back at `back_at` (wall clock)."""

    what: str
    down_at: float
    back_at: float
    recovery_seconds: float | None = None
    notes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class ScenarioResult:
    name: str
    title: str
    sent: int = 0
    rate: float = 0.0
    accepted: int = 0
    applied: int = 0
    lost: int = 0
    applied_twice: int = 0
    failed: int = 0
    told_within_5s: int = 0
    refused_yet_applied: int = 0
    outages: list[Outage] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def recovery_seconds(self) -> float | None:
        """The worst recovery of the scenario's outages (None: none, or never recovered)."""
        values = [o.recovery_seconds for o in self.outages]
        if not values or any(v is None for v in values):
            return None
        return max(v for v in values if v is not None)

    def missed(self) -> list[str]:
        """The targets this row misses, each said in a few words."""
        if self.skipped:
            return []
        if self.error:
            return [f"scenario error: {self.error}"]
        out = []
        if self.lost:
            out.append(f"{self.lost} lost")
        if self.applied_twice:
            out.append(f"{self.applied_twice} applied twice")
        if self.failed and self.told_within_5s < self.failed:
            out.append(f"{self.failed - self.told_within_5s} failures told after 5 s or never")
        if self.refused_yet_applied:
            out.append(f"{self.refused_yet_applied} refused yet applied")
        for o in self.outages:
            if o.recovery_seconds is None:
                out.append(f"{o.what}: no recovery seen")
            elif o.recovery_seconds > RECOVERY_TARGET_SECONDS:
                out.append(f"{o.what}: recovered in {o.recovery_seconds:.1f} s")
        out.extend(f"{c.name}: {c.detail}" for c in self.checks if not c.ok)
        return out

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["recovery_seconds"] = self.recovery_seconds
        data["missed"] = self.missed()
        return data


def _applied_at(view: StoreView, marker: str) -> float | None:
    rows = view.rows.get(marker)
    return min(r.created_at for r in rows) if rows else None


def tally(
    result: ScenarioResult,
    view: StoreView,
    http: Sequence[HttpCommand] = (),
    topic: Sequence[TopicCommand] = (),
    *,
    load_seconds: float,
    doubled_events: int = 0,
) -> None:
    """Fill `result`'s counts from what was sent and what the stores hold."""
    result.sent = len(http) + len(topic)
    result.rate = result.sent / max(load_seconds, 1e-9)
    applied_at: dict[int, float] = {}  # position in `sent` order → when applied
    lost_examples: list[str] = []
    lost_why: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    # The failures told late: how long each took, and the request, so that the timeline
    # says whether it came at a fault or in an overload before one.
    late: list[tuple[float, HttpCommand]] = []
    ghosts: list[str] = []

    def lost(what: str, command_id: str | None) -> None:
        result.lost += 1
        entry = view.ledger.get(command_id or "")
        why = "no ledger row" if entry is None else f"ledger {entry.status} {entry.code}"
        lost_why[why] += 1
        if len(lost_examples) < 5:
            lost_examples.append(f"{what} command {command_id}: {why}")

    for c in http:
        statuses[str(c.status) if c.status is not None else "no answer"] += 1
        when = _applied_at(view, c.marker)
        if c.accepted:
            result.accepted += 1
            if when is not None:
                result.applied += 1
                applied_at[id(c)] = when
            else:
                lost(f"POST #{c.index}", c.command_id)
        else:
            result.failed += 1
            seconds = c.seconds
            if seconds is not None and seconds <= TOLD_WITHIN_SECONDS:
                result.told_within_5s += 1
            else:
                late.append((seconds if seconds is not None else -1.0, c))
            if when is not None:
                result.refused_yet_applied += 1
                applied_at[id(c)] = when
                if len(ghosts) < 5:
                    ghosts.append(f"POST #{c.index} answered {c.status} ({c.error}), applied")
    versions_off: list[str] = []
    for c in http:
        for row in view.rows.get(c.marker, []):
            if row.version != 1:
                versions_off.append(f"{row.id} version {row.version}, expected 1")
        if len(view.rows.get(c.marker, [])) > 1:
            versions_off.append(f"{c.marker}: {len(view.rows[c.marker])} rows")
    updates_applied = {
        c.key
        for c in topic
        if c.marker is None
        and (entry := view.ledger.get(str(c.envelope.command_id))) is not None
        and entry.status == "applied"
    }
    for t in topic:
        statuses["topic acked" if t.accepted else "topic refused"] += 1
        cid = str(t.envelope.command_id)
        if not t.accepted:
            result.failed += 1
            if t.acked_at is not None and t.acked_at - t.sent_at <= TOLD_WITHIN_SECONDS:
                result.told_within_5s += 1
            continue
        result.accepted += 1
        if t.marker is not None:
            when = _applied_at(view, t.marker)
            rows = view.rows.get(t.marker, [])
            if when is None:
                lost(f"topic create {t.key}", cid)
                continue
            result.applied += 1
            applied_at[id(t)] = when
            expected = 2 if t.key in updates_applied else 1
            for row in rows:
                if row.version > expected:
                    versions_off.append(f"{row.id} version {row.version}, expected {expected}")
            if len(rows) > 1:
                versions_off.append(f"{t.marker}: {len(rows)} rows")
        elif t.key in updates_applied:
            result.applied += 1
        else:
            lost(f"topic update {t.key}", cid)
    result.applied_twice = len(versions_off) + doubled_events
    sent_at = {id(c): c.sent_at for c in http} | {id(t): t.sent_at for t in topic}
    for outage in result.outages:
        # Recovery, as the target reads: from the return until commands apply again (the
        # first apply at or after it). A scenario in which no command sent after the return
        # ever applies has not recovered, whatever its backlog did.
        notes = _around(outage, sorted(applied_at.values()), sent_at, applied_at)
        outage.notes.update(notes)
        again = notes["applying_again_after_return_seconds"]
        new = notes["new_command_applied_after_seconds"]
        outage.recovery_seconds = again if new is not None else None
    failed_seconds: dict[str, list[float]] = {}
    failure_examples: dict[str, list[str]] = {}
    t0 = min(sent_at.values(), default=0.0)
    for c in http:
        if not c.accepted:
            label = str(c.status) if c.status is not None else "no answer"
            failed_seconds.setdefault(label, []).append(c.seconds or CLIENT_TIMEOUT_SECONDS)
            examples = failure_examples.setdefault(label, [])
            if len(examples) < 3:
                examples.append(
                    f"sent at +{c.sent_at - t0:.1f} s, answered after {c.seconds or 0:.1f} s: "
                    f"{(c.error or '')[:200]}"
                )
    late_last = sorted(late, key=lambda x: x[0])[-10:]
    result.evidence.update(
        timeline=_timeline(t0, http, topic, applied_at, result.outages),
        failure_seconds={k: _spread(v) for k, v in failed_seconds.items()},
        failure_examples=failure_examples,
        answers=dict(statuses),
        lost_why=dict(lost_why),
        lost_examples=lost_examples,
        failures_told_late_seconds=[round(s, 1) for s, _ in late_last],
        failures_told_late=[
            f"sent at +{c.sent_at - t0:.1f} s, answered after {s:.1f} s: "
            f"{c.status} {(c.error or '')[:120]}"
            for s, c in late_last
        ],
        refused_yet_applied_examples=ghosts,
        applied_twice_examples=versions_off[:5],
    )


def _around(
    outage: Outage, times: list[float], sent_at: dict[int, float], applied_at: dict[int, float]
) -> dict[str, float | None]:
    """What applying looked like around one outage, to tell a consumer that did not resume
    from one that resumed behind a backlog."""
    again = [t - outage.back_at for t in times if t >= outage.back_at]
    new = [w - outage.back_at for k, w in applied_at.items() if sent_at[k] >= outage.back_at]
    earlier = [w for k, w in applied_at.items() if sent_at[k] < outage.back_at]
    # From the fault to the first apply after the return: later outages are not this one's.
    end = outage.back_at + min(again) if again else float("inf")
    window = [t for t in times if outage.down_at <= t <= end]
    gaps = [b - a for a, b in itertools.pairwise(window)]
    if window:  # from the fault to the first apply after it
        gaps.append(window[0] - outage.down_at)
    return {
        "applying_again_after_return_seconds": round(min(again), 2) if again else None,
        # A command sent after the return: it waits behind whatever backlog the outage left.
        "new_command_applied_after_seconds": round(min(new), 2) if new else None,
        "sent_before_return_all_applied_after_seconds": (
            round(max(earlier) - outage.back_at, 2) if earlier else None
        ),
        "longest_pause_in_applying_seconds": round(max(gaps), 2) if gaps else None,
    }


def _timeline(
    t0: float,
    http: Sequence[HttpCommand],
    topic: Sequence[TopicCommand],
    applied_at: dict[int, float],
    outages: Sequence[Outage],
) -> dict[str, Any]:
    """Per second from the first command: sent, refused or failed (by send time), applied."""

    def counts(times: list[float]) -> list[int]:
        out: list[int] = []
        for t in times:
            second = max(0, int(t - t0))
            out.extend([0] * (second + 1 - len(out)))
            out[second] += 1
        return out

    sent = [c.sent_at for c in http] + [t.sent_at for t in topic]
    failed = [c.sent_at for c in http if not c.accepted]
    failed += [t.sent_at for t in topic if not t.accepted]
    return {
        "seconds_from": t0,
        "outages": [
            {"what": o.what, "down": round(o.down_at - t0, 1), "back": round(o.back_at - t0, 1)}
            for o in outages
        ],
        "sent": counts(sent),
        "failed": counts(failed),
        "applied": counts(list(applied_at.values())),
    }


def _spread(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {"n": len(ordered), "p50": at(0.5), "p95": at(0.95), "max": round(ordered[-1], 2)}


def _fmt_recovery(result: ScenarioResult) -> str:
    if not result.outages:
        return "n/a"
    worst = result.recovery_seconds
    if worst is None:
        return "never"
    new = [o.notes.get("new_command_applied_after_seconds") for o in result.outages]
    slowest = max((n for n in new if isinstance(n, float | int)), default=None)
    behind = f" (a new command: {slowest:.1f} s)" if slowest is not None else ""
    return f"{worst:.1f} s{behind}"


def render(results: Sequence[ScenarioResult], console: Console) -> None:
    table = Table(title="RefactorTrack: faults under load", show_lines=True)
    for name, justify in (
        ("scenario", "left"),
        ("load (sent, rate)", "right"),
        ("accepted", "right"),
        ("applied", "right"),
        ("lost", "right"),
        ("applied twice", "right"),
        ("refused within 5 s", "right"),
        ("time to recover", "right"),
        ("refused yet applied", "right"),
        ("verdict", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in results:
        if r.skipped:
            table.add_row(r.title, *["-"] * 8, f"skipped: {r.skipped}")
            continue
        told = (
            "n/a (none failed)"
            if not r.failed
            else f"{r.told_within_5s / r.failed:.0%} of {r.failed}"
        )
        missed = r.missed()
        verdict = "[green]all targets met[/]" if not missed else "[red]" + "; ".join(missed) + "[/]"
        table.add_row(
            r.title,
            f"{r.sent:,} @ {r.rate:.0f}/s",
            f"{r.accepted:,}",
            f"{r.applied:,}",
            str(r.lost),
            str(r.applied_twice),
            told,
            _fmt_recovery(r),
            str(r.refused_yet_applied),
            verdict,
        )
    console.print(table)


def write_json(results: Sequence[ScenarioResult], directory: Path, meta: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    data = {"meta": meta, "scenarios": [r.as_json() for r in results]}
    out = directory / f"faults-{stamp}.json"
    out.write_text(json.dumps(data, indent=1, default=str))
    (directory / "latest.json").write_text(out.read_text())
    return out
