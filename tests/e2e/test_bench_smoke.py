"""`make bench` from a clone: a short import phase runs and writes its figures.

The whole bench runs outside the test suite (it takes long and its figures need a quiet
machine); this is the part of it the suite keeps: the bench's own command line starts a
system, imports a few hundred rows through the real importer into every store, measures
the raw COPY baseline and writes the one table's JSON, with every row where it should be.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parents[2]
ROWS = 300


def test_the_import_phase_runs_and_writes_its_figures(tmp_path: Path) -> None:
    # Stores of the smoke run's own, beside the suite's (the bench empties its stores).
    env = {
        **os.environ,
        "BENCH_RESULTS_DIR": str(tmp_path),
        "POSTGRES_DB": f"{os.environ['POSTGRES_DB']}_smoke_bench",
        "MONGODB_DB": f"{os.environ['MONGODB_DB']}_smoke_bench",
        # Scratch names end in -bench: only those may have their topics dropped.
        "INDEX_PREFIX": f"{os.environ['INDEX_PREFIX']}-smoke-bench",
        "TOPIC_NAMESPACE": f"{os.environ['TOPIC_NAMESPACE']}-smoke-bench",
        "WORKER_ID": f"{os.environ['WORKER_ID']}-smoke-bench",
        "WORKER_DATA_DIR": str(tmp_path / "worker"),
        # A Redis db no other run uses (the bench empties it): not the suite's, not a
        # developer's 0, not `make bench`'s 2.
        "REDIS_DB": os.environ.get("BENCH_SMOKE_REDIS_DB", "12"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--imports-only", "--import-rows", str(ROWS)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    figures = json.loads((tmp_path / "imports.json").read_text())
    rows = {f["name"]: f for f in figures["figures"]}
    every_store = rows[f"import {ROWS} candidates into every store"]
    assert every_store["value"] > 0
    assert every_store["target"] == {"op": ">=", "bound": 5000, "on_ratio": False}
    ratio = rows["import / raw COPY of the same rows"]
    assert ratio["baseline"] > 0
    assert ratio["ratio"] == pytest.approx(ratio["value"] / ratio["baseline"])
    assert figures["raw"]["created"] == ROWS
    assert "targets met" in figures["summary"]
    assert "import / raw COPY of the same rows" in done.stdout
