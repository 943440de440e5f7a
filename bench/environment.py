"""The stores a benchmark runs against: its own, emptied before each run."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from core.settings import get_settings
from stores.postgres.migrate import upgrade
from tests.harness.scratch import empty_scratch_stores

ROOT = Path(__file__).resolve().parent.parent
# Where every figure, log and flame graph of a run lands; a smoke run (the test suite's)
# points it elsewhere so that it never overwrites a real run's figures.
RESULTS = Path(os.environ.get("BENCH_RESULTS_DIR") or ROOT / "bench" / "results")

# The benchmarks get stores of their own, emptied before each run, so their figures do
# not depend on what earlier runs (or a developer's `make dev`) left behind. A variable
# already set wins (an engineer's isolated stores on a shared machine).
BENCH_ENV = {
    "POSTGRES_DB": "refactortrack_bench",
    "MONGODB_DB": "refactortrack_bench",
    "REDIS_DB": "2",
    "INDEX_PREFIX": "rt-bench",
    "TOPIC_NAMESPACE": "rt-bench",
    "WORKER_ID": "refactortrack-bench",
    "WORKER_DATA_DIR": os.path.join(os.environ.get("TMPDIR", "/tmp"), "refactortrack-bench"),
}

# One user sending far more than an interactive user would.
UNLIMITED = {"RATE_LIMIT_PER_MINUTE": "0", "AGENCY_RATE_LIMIT_PER_MINUTE": "0"}


async def _fresh_stores() -> None:
    get_settings.cache_clear()
    settings = get_settings()
    await empty_scratch_stores(settings)
    await asyncio.to_thread(upgrade, settings)


def use_bench_stores() -> None:
    """Point this process (and the processes it starts) at the bench's stores, emptied and
    migrated."""
    for key, value in BENCH_ENV.items():
        os.environ.setdefault(key, value)
    asyncio.run(_fresh_stores())
