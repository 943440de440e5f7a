"""The bench's one table: targets judged on the figure or on its ratio to the baseline."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

from rich.console import Console

from bench.figures import latency_figures
from bench.report import Figure, Report, Target


def test_a_target_on_the_value() -> None:
    at_least = Target(">=", 5000)
    assert at_least.met(5000, None) is True
    assert at_least.met(4999.9, None) is False
    assert Target("<=", 250).met(251, None) is False
    assert at_least.met(math.nan, None) is None


def test_a_target_on_the_ratio_reads_the_ratio_not_the_value() -> None:
    figure = Figure(
        "import",
        "import / COPY",
        2000,
        "rows/s",
        Target(">=", 0.10, on_ratio=True),
        baseline=40000,
        baseline_name="COPY rows/s",
    )
    assert figure.effective_ratio == 0.05
    assert figure.met is False
    better = Figure(
        "import",
        "import / COPY",
        5000,
        "rows/s",
        Target(">=", 0.10, on_ratio=True),
        baseline=40000,
        baseline_name="COPY rows/s",
    )
    assert better.met is True


def test_a_ratio_target_without_a_baseline_is_not_judged() -> None:
    figure = Figure("x", "y", 1, "", Target(">=", 0.5, on_ratio=True))
    assert figure.met is None


def test_each_latency_run_is_judged_on_its_own() -> None:
    quick = {"n": 2000, "get_ms": {"p50": 90, "p99": 120}, "search_ms": {"p50": 200, "p99": 300}}
    slow = {**quick, "get_ms": {"p50": 90, "p99": 900}}
    refused = {**quick, "busy_503": 100}
    figures = latency_figures([quick, slow, refused], 200)
    get_rows = [f for f in figures if "GET" in f.name]
    assert [f.met for f in get_rows] == [True, False, True]
    # Quick answers for the creates that got one do not make up for those refused.
    unanswered = [f for f in figures if "503" in f.name]
    assert [f.met for f in unanswered] == [True, True, False]


def test_the_json_holds_what_the_table_shows(tmp_path: Path) -> None:
    report = Report("t", raw={"extra": 1})
    report.add(Figure("p", "a", 10, "ms", Target("<=", 50)))
    report.add(Figure("p", "b", 60, "ms", Target("<=", 50)))
    report.add(Figure("p", "c", 3, "/s"))
    out = tmp_path / "bench.json"
    report.write(out, Console(file=io.StringIO()))
    data = json.loads(out.read_text())
    assert data["summary"] == "1 of 2 targets met"
    assert [f["met"] for f in data["figures"]] == [True, False, None]
    assert data["raw"] == {"extra": 1}
    assert data["machine"]["cpus"] >= 1
