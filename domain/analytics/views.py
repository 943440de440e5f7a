"""What dashboards read: the metrics of one slice, the leaderboard, the sources.

The worker turns an agency's sums into these JSON views and keeps them in Redis; the
gateway serves them and works out the hopping windows (last 24 hours, last 7 days) from
the hourly tumbling windows at the moment it answers, so they move on with the clock even
when nothing happens.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from domain.analytics.model import (
    ACTIVITY,
    CONVERSIONS,
    DAY,
    HOUR,
    LEADERBOARD_KINDS,
    SOURCE_STEPS,
    SliceTotals,
)
from domain.pipeline import PIPELINE_STAGES

DURATIONS = ("time_to_submit", "time_to_fill")
HOPPING: dict[str, int] = {"last_24h": 24, "last_7d": 7 * 24}


def percentile(ordered: list[float], p: float) -> float | None:
    """Nearest-rank percentile of sorted values (p in 0..100); None when there are none."""
    if not ordered:
        return None
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def duration_summary(ordered: list[float]) -> dict[str, Any]:
    def hours(seconds: float | None) -> float | None:
        return None if seconds is None else round(seconds / HOUR, 3)

    mean = sum(ordered) / len(ordered) if ordered else None
    return {
        "count": len(ordered),
        "mean_hours": hours(mean),
        "p50_hours": hours(percentile(ordered, 50)),
        "p90_hours": hours(percentile(ordered, 90)),
    }


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def slice_view(totals: SliceTotals) -> dict[str, Any]:
    """Funnel, conversion, durations, requisitions by status and activity of one slice."""
    counts = totals.counts
    current = {stage: counts.get(f"current|{stage}", 0) for stage in PIPELINE_STAGES}
    reached = {stage: counts.get(f"reached|{stage}", 0) for stage in PIPELINE_STAGES}
    conversion = []
    for before, after in CONVERSIONS:
        conversion.append(
            {
                "from": before,
                "to": after,
                "from_count": reached[before],
                "to_count": reached[after],
                "rate": round(reached[after] / reached[before], 4) if reached[before] else None,
            }
        )
    activity: dict[str, dict[str, dict[str, int]]] = {"hour": {}, "day": {}}
    requisitions: dict[str, int] = {}
    for key, value in counts.items():
        kind, _, rest = key.partition("|")
        if kind in activity:
            start, _, what = rest.partition("|")
            activity[kind].setdefault(_iso(int(start)), {})[what] = value
        elif kind == "requisitions":
            requisitions[rest] = value
    return {
        "funnel": {"current": current, "reached": reached},
        "conversion": conversion,
        "time_in_stage": {
            stage: duration_summary(totals.samples.get(f"stay|{stage}", []))
            for stage in PIPELINE_STAGES
            if totals.samples.get(f"stay|{stage}")
        },
        **{d: duration_summary(totals.samples.get(d, [])) for d in DURATIONS},
        "requisitions": requisitions,
        "activity": {k: dict(sorted(v.items())) for k, v in activity.items()},
    }


def leaderboard_view(totals: SliceTotals) -> dict[str, dict[str, dict[str, Any]]]:
    """week (ISO date of its Monday) -> recruiter -> counts, margin and fees by currency."""
    weeks: dict[str, dict[str, dict[str, Any]]] = {}
    for key, value in totals.counts.items():
        if not key.startswith("board|"):
            continue
        _, week, recruiter, kind, *currency = key.split("|")
        row = weeks.setdefault(_iso(int(week))[:10], {}).setdefault(
            recruiter, {**dict.fromkeys(LEADERBOARD_KINDS, 0), "margin": {}, "fees": {}}
        )
        if currency:
            row[kind][currency[0]] = f"{value / 100:.2f}"
        else:
            row[kind] = value
    return {w: weeks[w] for w in sorted(weeks, reverse=True)}


def sources_view(totals: SliceTotals) -> dict[str, dict[str, int]]:
    sources: dict[str, dict[str, int]] = {}
    for key, value in totals.counts.items():
        if key.startswith("source|"):
            _, name, step = key.split("|", 2)
            sources.setdefault(name, {"candidates": 0, **dict.fromkeys(SOURCE_STEPS.values(), 0)})[
                step
            ] = value
    return dict(sorted(sources.items()))


def activity_windows(view: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Tumbling hourly and daily windows as stored, plus the hopping ones ending now.

    A hopping window of 24 hours (or 7 days) advances an hour at a time: it holds the
    hourly windows from the one containing `now` back 24 (or 168) hours.
    """
    hourly: dict[str, dict[str, int]] = view.get("activity", {}).get("hour", {})
    current_hour = int(now.timestamp() // HOUR * HOUR)
    hopping: dict[str, Any] = {}
    for name, hours in HOPPING.items():
        start = current_hour - (hours - 1) * HOUR
        totals = dict.fromkeys(ACTIVITY.values(), 0)
        for bucket, counts in hourly.items():
            at = datetime.fromisoformat(bucket.replace("Z", "+00:00")).timestamp()
            if start <= at <= current_hour:
                for kind, n in counts.items():
                    totals[kind] = totals.get(kind, 0) + n
        hopping[name] = {"start": _iso(start), "end": _iso(current_hour + HOUR), **totals}
    return {
        "hourly": hourly,
        "daily": view.get("activity", {}).get("day", {}),
        **hopping,
        "window_seconds": {"hourly": HOUR, "daily": DAY},
    }
