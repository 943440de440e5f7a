"""Writes beside a set's transaction (agents/context.py): started by `before_commit`,
landed (or cancelled) when `landing` ends."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from agents.context import before_commit, landing


async def test_outside_a_transaction_the_write_is_awaited_at_once() -> None:
    done: list[str] = []

    async def write() -> None:
        await asyncio.sleep(0)
        done.append("written")

    await before_commit(write())
    assert done == ["written"]


async def test_the_block_goes_on_while_the_write_runs_and_it_has_landed_at_the_end() -> None:
    order: list[str] = []
    release = asyncio.Event()

    async def write() -> None:
        await release.wait()
        order.append("written")

    async with landing():
        await before_commit(write())
        order.append("the transaction goes on")
        release.set()
    assert order == ["the transaction goes on", "written"]


async def test_a_failed_write_fails_the_block_and_the_others_are_cancelled() -> None:
    cancelled: list[bool] = []

    async def fails() -> None:
        raise ConnectionError("mongo away")

    async def slow() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async def apply() -> None:
        async with landing():
            await before_commit(slow())
            await before_commit(fails())

    with pytest.raises(ConnectionError):
        await apply()
    assert cancelled == [True]
    assert _left_of(slow, fails) == []


async def test_a_failed_block_cancels_its_writes_and_raises_its_own_error() -> None:
    started = asyncio.Event()

    async def slow() -> None:
        started.set()
        await asyncio.sleep(30)

    async def apply() -> None:
        async with landing():
            await before_commit(slow())
            await started.wait()
            raise KeyError("the ledger")

    with pytest.raises(KeyError):
        await apply()
    assert _left_of(slow) == []


async def test_land_waits_where_the_block_says_and_leaves_nothing_for_the_end() -> None:
    order: list[str] = []

    async def write() -> None:
        await asyncio.sleep(0.01)
        order.append("written")

    async with landing() as beside:
        await before_commit(write())
        order.append("ledger")
        await beside.land()
        order.append("audit, after the write")
    assert order == ["ledger", "written", "audit, after the write"]


def _left_of(*writes: Callable[[], Coroutine[Any, Any, None]]) -> list[asyncio.Task[Any]]:
    """The tasks of these writes still running: only this test's own (other tasks of the
    session's loop, a client's monitors say, are not the landing's to stop)."""
    names = {w.__qualname__ for w in writes}
    return [
        t
        for t in asyncio.all_tasks()
        if not t.done() and getattr(t.get_coro(), "__qualname__", None) in names
    ]
