"""take_batches: the window counts from a batch's first message, not from the last batch.

On Faust's in-memory test context (no broker): the agent holds each batch for HOLD s,
as a busy command agent applies one, while messages keep arriving.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, cast

import faust

from agents.batching import take_batches

WINDOW = 0.4
HOLD = 0.6


def _batching_app(max_: int) -> tuple[faust.App, Any, list[tuple[float, list[int]]]]:
    app = faust.App(f"take-batches-{max_}", store="memory://")
    seen: list[tuple[float, list[int]]] = []

    @app.agent()
    async def batched(stream: faust.StreamT[int]) -> None:
        async for batch in take_batches(cast(faust.Stream[int], stream), max_, WINDOW):
            seen.append((time.monotonic(), [e.value for e in batch]))
            await asyncio.sleep(HOLD)

    return app, batched, seen


_puts: set[asyncio.Task[Any]] = set()


async def _offer(agent: Any, values: list[int], gap: float) -> None:
    for value in values:
        # Not awaited: the test context's put waits until the agent took the message.
        put = asyncio.ensure_future(agent.put(value))
        _puts.add(put)
        put.add_done_callback(_puts.discard)
        await asyncio.sleep(gap)


async def test_a_lone_message_waits_the_window_for_company() -> None:
    _, batched, seen = _batching_app(1000)
    async with batched.test_context() as agent:
        started = time.monotonic()
        await _offer(agent, [1], 0)
        await _offer(agent, [2], WINDOW / 4)
        await asyncio.sleep(WINDOW * 2)
    assert [values for _, values in seen] == [[1, 2]]
    assert seen[0][0] - started >= WINDOW * 0.9


async def test_messages_that_waited_behind_a_batch_go_at_once_and_together() -> None:
    _, batched, seen = _batching_app(1000)
    async with batched.test_context() as agent:
        await _offer(agent, [1], 0)
        await asyncio.sleep(WINDOW * 1.25)  # the first batch is held now
        await _offer(agent, [2, 3, 4, 5], 0.01)
        await asyncio.sleep(HOLD + WINDOW)
    assert [values for _, values in seen] == [[1], [2, 3, 4, 5]]
    (first, _), (second, _) = seen
    # Handed over as the first was released: the window had passed while they waited.
    # take_events would have waited it again, after the hold.
    assert second - first < HOLD + WINDOW / 2


async def test_a_batch_holds_at_most_max() -> None:
    _, batched, seen = _batching_app(3)
    async with batched.test_context() as agent:
        await _offer(agent, [1, 2, 3, 4, 5], 0)
        await asyncio.sleep(HOLD * 2 + WINDOW)
    assert [values for _, values in seen] == [[1, 2, 3], [4, 5]]
