"""The followers in a worker of their own against the same branch with them in the command
worker (`python -m bench --followers-ab`), in one session, alternating.

Each round runs `python -m bench --imports-only` and/or `--latency-only` twice, once with
RT_FOLLOWERS=together (`--agents domain`: command agents and followers in one process, the
topology before) and once with RT_FOLLOWERS=apart (`--agents commands` + `--agents
followers`), in alternating order so a neighbour's load weighs on both alike. Each run is a
process of its own with its own results directory (bench/results/followers-ab/<mode>-<n>)
and empties the bench's stores first. The ratios apart/together are taken per round, then
their median, so figures from a noisy shared machine are compared only within a round.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.creates import console
from bench.environment import RESULTS, ROOT

MODES = ("together", "apart")
# (file the phase writes, figure, True when more is better)
FIGURES: dict[str, list[tuple[str, bool]]] = {
    "imports": [
        ("postgres_mongo_rate", True),
        ("every_store_rate", True),
        ("seconds", False),
    ],
    "latency": [
        ("get_p50_ms", False),
        ("get_p95_ms", False),
        ("search_p50_ms", False),
        ("search_p95_ms", False),
        ("e2e_rate", True),
        ("accept_rate", True),
    ],
}


def _run(phase: str, mode: str, number: int, extra: list[str]) -> dict[str, float]:
    out = RESULTS / "followers-ab" / f"{phase}-{mode}-{number}"
    out.mkdir(parents=True, exist_ok=True)
    flag = "--imports-only" if phase == "imports" else "--latency-only"
    env = {**os.environ, "RT_FOLLOWERS": mode, "BENCH_RESULTS_DIR": str(out)}
    console.print(f"[bold]followers {mode}[/], {phase} round {number}")
    subprocess.run([sys.executable, "-m", "bench", flag, *extra], cwd=ROOT, env=env, check=True)
    raw: dict[str, Any] = json.loads((out / f"{phase}.json").read_text())["raw"]
    if phase == "imports":
        return {
            **{name: float(raw[name]) for name, _ in FIGURES["imports"]},
            **{f"cpu_ms {k}": float(v) for k, v in raw.get("cpu_ms_per_row", {}).items()},
        }
    runs = raw["runs"]
    return {
        "get_p50_ms": statistics.median(r["get_ms"]["p50"] for r in runs),
        "get_p95_ms": statistics.median(r["get_ms"]["p95"] for r in runs),
        "search_p50_ms": statistics.median(r["search_ms"]["p50"] for r in runs),
        "search_p95_ms": statistics.median(r["search_ms"]["p95"] for r in runs),
        "e2e_rate": float(raw["throughput"]["e2e_rate"]),
        "accept_rate": float(raw["throughput"]["accept_rate"]),
        **{f"cpu_ms {k}": float(v) for k, v in raw["throughput_cpu_ms_per_create"].items()},
    }


def measure(phases: list[str], rounds: int, extra: dict[str, list[str]]) -> dict[str, Any]:
    """Every round of every phase, and the median ratio apart / together per figure."""
    results: dict[str, Any] = {}
    for phase in phases:
        rows: list[dict[str, dict[str, float]]] = []
        for number in range(1, rounds + 1):
            # Alternate which goes first: a load that builds up or fades hits both.
            order = MODES if number % 2 else tuple(reversed(MODES))
            rows.append({mode: _run(phase, mode, number, extra[phase]) for mode in order})
            (RESULTS / "followers_ab.json").write_text(
                json.dumps({**results, phase: rows}, indent=1)
            )
        ratios = {
            name: statistics.median(row["apart"][name] / row["together"][name] for row in rows)
            for name in rows[0]["apart"]
            if name in rows[0]["together"] and rows[0]["together"][name]
        }
        results[phase] = {"rounds": rows, "ratio_apart_over_together": ratios}
        console.print(f"[bold]{phase}[/]: apart / together (median of {rounds} rounds)")
        for name, ratio in ratios.items():
            console.print(f"  {name}: {ratio:.2f}")
    path: Path = RESULTS / "followers_ab.json"
    path.write_text(json.dumps(results, indent=1))
    return results
