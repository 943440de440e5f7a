"""The memory phase's reading of "flat": growth after the caches had a quarter of the
import to fill, judged only on imports long enough for that."""

from __future__ import annotations

from bench.figures import FLAT_JUDGED_ROWS, memory_growth_figures
from bench.memory_growth import settled_growth


def test_growth_is_counted_from_the_first_reading_past_a_quarter() -> None:
    samples = [
        (10.0, {"worker": 200.0}),
        (19.0, {"worker": 300.0}),  # 19 s of 80: not yet a quarter
        (30.0, {"worker": 320.0}),  # the first past it
        (80.0, {"worker": 330.0}),
    ]
    settled = settled_growth(samples, {"worker": 325.0, "postgres (shared)": 900.0})
    assert settled == {
        "worker": {"settled_mib": 320.0, "peak_mib": 330.0, "growth_after_settled_mib": 5.0}
    }


def test_no_samples_no_settled_figures() -> None:
    assert settled_growth([], {"worker": 1.0}) == {}


def _figures(rows: int, growth_mib: float) -> dict[str, object]:
    return {
        "rows": rows,
        "memory": {
            "worker": {"before_mib": 200.0, "after_mib": 400.0, "growth_mib_per_million_rows": 1.0}
        },
        "settled": {
            "worker": {
                "settled_mib": 380.0,
                "peak_mib": 410.0,
                "growth_after_settled_mib": growth_mib,
            }
        },
    }


def test_a_long_import_is_judged_flat_or_not() -> None:
    flat = memory_growth_figures(_figures(FLAT_JUDGED_ROWS, 4.0))[-1]
    growing = memory_growth_figures(_figures(FLAT_JUDGED_ROWS, 400.0))[-1]
    assert flat.met is True
    assert growing.met is False


def test_a_short_import_is_not_judged() -> None:
    assert memory_growth_figures(_figures(20_000, 400.0))[-1].met is None


def test_commands_held_up_together_are_one_stall() -> None:
    from bench.latency import consume_stalls

    stages = [
        {"appended_at": 100.0, "consume": 80.0},
        {"appended_at": 100.2, "consume": 900.0},
        {"appended_at": 100.9, "consume": 1500.0},
        {"appended_at": 105.0, "consume": 700.0},
    ]
    stalls = consume_stalls(stages)
    assert [(s["commands"], s["longest_ms"]) for s in stalls] == [(2, 1500), (1, 700)]
