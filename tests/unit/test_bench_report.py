"""The bench's one table: targets judged on the figure or on its ratio to the baseline."""

from __future__ import annotations

import io
import json
import math
import os
from pathlib import Path

import pytest
from rich.console import Console

from bench.figures import cpu_figures, create_ceiling_figures, latency_figures
from bench.report import Figure, Report, Target
from bench.stack_cpu import per_create, snapshot


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


def test_server_cpu_counts_each_tree_and_processes_started_meanwhile() -> None:
    before = {"postgres": {10: 1.0, 11: 0.5}, "redis": {20: 2.0}}
    after = {"postgres": {10: 1.5, 11: 0.5, 12: 0.25}, "redis": {20: 2.1}}
    got = per_create(before, after, creates=100)
    assert got["postgres"] == pytest.approx(7.5)  # (0.5 + 0 + 0.25) s over 100 creates
    assert got["redis"] == pytest.approx(1.0)


def test_a_snapshot_finds_this_process_and_its_cpu() -> None:
    sum(i * i for i in range(200_000))  # some CPU of our own to find
    taken = snapshot({"me": os.getpid(), "nobody": 2**22 + 7})
    assert taken["me"][os.getpid()] > 0
    assert taken["nobody"] == {}


def test_cpu_rows_total_our_processes_and_the_servers_apart() -> None:
    rows = {
        f.name: f.value
        for f in cpu_figures(
            {"gateway": 4.0, "domain worker": 3.0, "load generator (this process)": 9.0},
            {"postgres": 1.0, "kafka": 2.0},
        )
    }
    assert rows["CPU per create: our processes"] == pytest.approx(7.0)
    assert rows["CPU per create: the servers"] == pytest.approx(3.0)
    assert rows["CPU per create: kafka (server)"] == pytest.approx(2.0)


def test_the_ceilings_are_the_cores_over_the_cpu_each_create_costs() -> None:
    # 2 cores; our processes 3 ms and the servers 1 ms a create; the no-op agent 4,000/s.
    figures = create_ceiling_figures(
        {"gateway": 2.0, "domain worker": 1.0, "load generator (this process)": 50.0},
        {"postgres": 0.25, "opensearch": 0.75},
        noop=4000.0,
        cores=2,
    )
    both, servers_alone = figures
    assert both.value == pytest.approx(500.0)  # 2,000 ms of CPU a second / 4 ms
    assert servers_alone.value == pytest.approx(2000.0)  # with our code at 0 CPU
    assert servers_alone.effective_ratio == pytest.approx(0.5)
    # Figures, not verdicts: a ceiling bounds the target's figure, it is not judged itself.
    assert both.met is None
    assert servers_alone.met is None


def test_no_ceiling_without_the_servers_cpu() -> None:
    assert create_ceiling_figures({"gateway": 2.0}, {}, noop=4000.0, cores=2) == []


def test_the_share_of_the_machine_an_offered_rate_needs() -> None:
    figures = create_ceiling_figures(
        {"gateway": 2.0, "domain worker": 2.0},
        {"kafka": 1.0},
        noop=4000.0,
        cores=2,
        offered_rate=200,
    )
    # 200 creates/s at 5 ms each = 1,000 ms of CPU a second, of the 2,000 two cores give.
    assert figures[-1].value == pytest.approx(50.0)
    assert figures[-1].unit == "%"
