from __future__ import annotations

import math


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def summary_ms(values: list[float]) -> str:
    return (
        " ".join(f"p{p}={percentile(values, p) * 1000:.0f}ms" for p in (50, 95, 99))
        + f" (n={len(values)})"
    )
