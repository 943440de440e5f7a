"""The short part of the fault suite, for CI: two scenarios with small loads (~3 minutes).

Off by default while the product's fixes for these faults land separately; switch it on
with `RT_FAULTS=1 make test` (or `RT_FAULTS=1 pytest tests/faults`). It runs on the
shared stack in a Kafka namespace of its own and stops no server: the scenarios that do
are `make faults` (a private stack).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.settings import get_settings
from tests.faults.scenarios import Scale, catalogue
from tests.faults.stack import ROOT
from tests.faults.system import Harness
from tests.support import ensure_database, own_namespace

pytestmark = [
    pytest.mark.stack,
    pytest.mark.skipif(
        os.environ.get("RT_FAULTS") != "1",
        reason="the fault suite's short part runs with RT_FAULTS=1 (see its docstring)",
    ),
]

LOG_DIR = ROOT / ".pytest_cache" / "fault-logs"


@pytest.fixture(scope="module")
async def harness() -> AsyncIterator[Harness]:
    get_settings.cache_clear()
    settings = get_settings()
    await ensure_database(settings)
    async with own_namespace(settings, "rt-faults") as own:
        env = {
            **os.environ,
            "TOPIC_NAMESPACE": own.topic_namespace,
            "WORKER_ID": own.worker_id,
            "WORKER_DATA_DIR": str(Path(own.worker_data_dir) / own.worker_id),
            # One agency sends far more than a person would.
            "RATE_LIMIT_PER_MINUTE": "0",
            "AGENCY_RATE_LIMIT_PER_MINUTE": "0",
        }
        yield Harness(own, env, LOG_DIR, None)


@pytest.mark.parametrize("name", ["kill9_worker", "poison"])
async def test_short_fault_scenario(harness: Harness, name: str) -> None:
    result = await catalogue()[name](harness, Scale.short())
    assert not result.missed(), (
        f"{name} missed {result.missed()}; evidence {result.evidence}; logs {LOG_DIR / name}"
    )
