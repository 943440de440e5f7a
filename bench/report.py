"""One table for `make bench`: every figure beside its baseline, its ratio and its target.

Each phase adds `Figure`s as it finishes; the table and `bench/results/bench.json` are
written from the same list, so what is printed is what is recorded. A target is checked
against the figure's value (or its ratio, when the target is on the ratio), and the table
says whether it is met, so a run reads as a verdict rather than as numbers to compare by
eye.
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from rich.console import Console
from rich.table import Table

Bound = Literal[">=", "<="]


@dataclass(frozen=True, slots=True)
class Target:
    """What a figure must reach: `value >= bound` or `value <= bound`."""

    op: Bound
    bound: float
    on_ratio: bool = False

    def met(self, value: float, ratio: float | None) -> bool | None:
        checked = ratio if self.on_ratio else value
        if checked is None or math.isnan(checked):
            return None
        return checked >= self.bound if self.op == ">=" else checked <= self.bound

    def text(self, unit: str) -> str:
        suffix = "" if self.on_ratio else f" {unit}"
        prefix = "ratio " if self.on_ratio else ""
        return f"{prefix}{self.op} {_number(self.bound)}{suffix}".rstrip()


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure, with the baseline measured in the same run when it has one."""

    phase: str
    name: str
    value: float
    unit: str
    target: Target | None = None
    baseline: float | None = None
    baseline_name: str | None = None
    # The ratio value / baseline, unless the phase computes it another way (efficiency).
    ratio: float | None = None
    note: str = ""

    @property
    def effective_ratio(self) -> float | None:
        if self.ratio is not None:
            return self.ratio
        if self.baseline is None or not self.baseline:
            return None
        return self.value / self.baseline

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.target.met(self.value, self.effective_ratio)


def _number(x: float) -> str:
    if math.isnan(x):
        return "n/a"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


@dataclass
class Report:
    """The figures of one `make bench` run, in the order they were measured."""

    title: str = "RefactorTrack: make bench"
    figures: list[Figure] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    def add(self, figure: Figure) -> None:
        self.figures.append(figure)

    def extend(self, figures: list[Figure]) -> None:
        self.figures.extend(figures)

    def table(self) -> Table:
        table = Table(title=self.title, show_lines=False)
        for column, justify in (
            ("phase", "left"),
            ("figure", "left"),
            ("value", "right"),
            ("baseline (same run)", "right"),
            ("ratio", "right"),
            ("target", "right"),
            ("met", "center"),
        ):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        for f in self.figures:
            baseline = (
                f"{_number(f.baseline)} ({f.baseline_name})" if f.baseline is not None else ""
            )
            ratio = f.effective_ratio
            met = {True: "[green]yes[/]", False: "[red]no[/]", None: ""}[f.met]
            name = f"{f.name} [dim]({f.note})[/]" if f.note else f.name
            table.add_row(
                f.phase,
                name,
                f"{_number(f.value)} {f.unit}".rstrip(),
                baseline,
                "" if ratio is None else f"{ratio:.3f}",
                "" if f.target is None else f.target.text(f.unit),
                met,
            )
        return table

    def summary(self) -> str:
        checked = [f for f in self.figures if f.met is not None]
        met = sum(1 for f in checked if f.met)
        return f"{met} of {len(checked)} targets met"

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "measured_at": datetime.now(UTC).isoformat(),
            "machine": _machine(),
            "summary": self.summary(),
            "figures": [
                {
                    **{k: v for k, v in asdict(f).items() if k != "target"},
                    "target": None if f.target is None else asdict(f.target),
                    "ratio": f.effective_ratio,
                    "met": f.met,
                }
                for f in self.figures
            ],
            "raw": self.raw,
        }

    def write(self, path: Path, console: Console) -> None:
        # Piped into a log (no terminal), rich would wrap the table at 80 columns.
        out = console if console.is_terminal else Console(width=170)
        out.print(self.table())
        console.print(self.summary())
        path.write_text(json.dumps(self.to_json(), indent=1, default=str))
        console.print(f"figures: {path}")


def _machine() -> dict[str, Any]:
    """Enough to tell two runs' machines apart: the figures depend on it."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    try:
        load = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        load = []
    return {
        "python": platform.python_version(),
        "cpus": cpus(),
        "commit": commit,
        "load_average_at_end": load,
    }


def cpus() -> int:
    """The cores this process may run on (what the machine gives the whole bench)."""
    return len(os.sched_getaffinity(0))
