"""A job's wait for its outcomes: as long as the worker records some, and no longer.

The ledger stands in for the worker: rows are recorded while the job waits.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from uuid import UUID

import pytest

from app.jobs.sending import CommandSender, Outcome, OutcomesStalled
from core.settings import get_settings
from stores.bundle import Stores
from stores.postgres import commands as ledger

pytestmark = pytest.mark.stack


async def _record(stores: Stores, tenant: UUID, command_ids: list[UUID]) -> None:
    rows = [
        {
            "command_id": command_id,
            "tenant_id": tenant,
            "type": "candidate.create",
            "status": "applied",
            "resource_id": None,
            "error": None,
            "events": [],
        }
        for command_id in command_ids
    ]
    async with stores.db.transaction() as conn:
        assert await ledger.record_processed_many(conn, rows)


async def _collect(
    sender: CommandSender, tenant: UUID, ids: list[UUID], timeout: float, window: int
) -> dict[UUID, Outcome]:
    seen: dict[UUID, Outcome] = {}
    async for found in sender.outcomes(tenant, ids, timeout=timeout, window=window):
        assert not set(found) & set(seen), "an outcome was yielded twice"
        seen.update(found)
    return seen


async def test_a_slow_worker_is_waited_for_past_the_stall_limit(stores: Stores) -> None:
    """Outcomes trickling in for longer than the limit in all: the wait goes on, reads the
    ids a window at a time, and yields each outcome once."""
    tenant = uuid.uuid4()
    ids = [uuid.uuid4() for _ in range(30)]

    async def worker() -> None:
        # Newest first, so the windows over the oldest find nothing for a while.
        for start in range(25, -5, -5):
            await asyncio.sleep(0.4)
            await _record(stores, tenant, ids[max(start, 0) : start + 5])

    async with CommandSender(get_settings(), poll_seconds=0.05) as sender:
        started = time.monotonic()
        applying = asyncio.create_task(worker())
        seen = await _collect(sender, tenant, ids, timeout=1.0, window=7)
        await applying
    assert set(seen) == set(ids)
    assert time.monotonic() - started > 2.0  # longer than the 1 s limit: progress kept it


async def test_a_silent_worker_ends_the_wait_naming_what_is_missing(stores: Stores) -> None:
    tenant = uuid.uuid4()
    ids = [uuid.uuid4() for _ in range(10)]
    await _record(stores, tenant, ids[:4])
    seen: dict[UUID, Outcome] = {}

    async def wait(sender: CommandSender) -> None:
        async for found in sender.outcomes(tenant, ids, timeout=0.5, window=3):
            seen.update(found)

    async with CommandSender(get_settings(), poll_seconds=0.05) as sender:
        with pytest.raises(OutcomesStalled) as stalled:
            await wait(sender)
    assert set(seen) == set(ids[:4])
    assert (stalled.value.missing, stalled.value.total) == (6, 10)
    assert "6 of 10 commands have no outcome" in str(stalled.value)
    assert isinstance(stalled.value, TimeoutError)  # what the other jobs catch
