"""A command agent's intake and its sets: read while a set is applied, acknowledged only once
applied, bounded in bytes, and finished (or left uncommitted) when the worker stops."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast
from unittest.mock import patch

import pytest

from agents import command_agent
from agents.processor import CommandProcessor
from agents.stream_intake import Intake, IntakeClosed, sets
from tests.unit.test_processor import RecordingPublisher

WINDOW = 0.01


def _event(n: int) -> Any:
    return SimpleNamespace(message=n)


class _Recorder(CommandProcessor):
    """Records each set; holds it until `release` is set."""

    def __init__(self) -> None:
        ctx: Any = object()
        super().__init__(ctx, {}, RecordingPublisher(), events_topic="e", dlq_topic="d")
        self.sets: list[list[Any]] = []
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def process_batch(self, messages: Any) -> None:
        self.sets.append(list(messages))
        self.started.set()
        await self.release.wait()


async def test_commands_are_taken_while_a_set_is_applied() -> None:
    """The reader never waits on the processor: what comes meanwhile is the next set, whole."""
    intake: Intake[Any] = Intake(1 << 20, 1000, WINDOW)
    processor = _Recorder()
    acked: list[int] = []

    all_acked = asyncio.Event()

    async def ack(event: Any) -> None:
        acked.append(event.message)
        if len(acked) == 40:
            all_acked.set()

    with patch.object(command_agent, "arrival_of", lambda m: m):
        task = asyncio.create_task(command_agent.apply_sets(intake, processor, ack))
        await intake.put(_event(0), 100)
        await asyncio.wait_for(processor.started.wait(), timeout=5)
        for n in range(1, 40):
            # put returns at once: nothing waits for the set being applied
            await asyncio.wait_for(intake.put(_event(n), 100), timeout=0.5)
        assert len(intake) == 39
        assert acked == []  # the first set is not applied yet
        processor.release.set()
        await asyncio.wait_for(all_acked.wait(), timeout=5)
        task.cancel()
    assert processor.sets == [[0], list(range(1, 40))]
    assert acked == list(range(40))


async def test_a_full_intake_holds_the_reader_back() -> None:
    intake: Intake[Any] = Intake(1000, 1000, WINDOW)
    await intake.put("a", 600)
    await intake.put("b", 300)
    blocked = asyncio.create_task(intake.put("c", 300))
    await asyncio.sleep(0.05)
    assert not blocked.done()
    assert await intake.take() == ["a", "b"]
    await asyncio.wait_for(blocked, timeout=1)
    assert intake.bytes == 300


async def test_one_message_larger_than_the_bound_still_goes_in() -> None:
    intake: Intake[Any] = Intake(1000, 1000, WINDOW)
    await asyncio.wait_for(intake.put("big", 5000), timeout=1)
    assert await intake.take() == ["big"]


async def test_a_set_is_at_most_max_set_messages() -> None:
    intake: Intake[Any] = Intake(1 << 20, 3, WINDOW)
    for n in range(7):
        await intake.put(n, 10)
    assert [await intake.take() for _ in range(3)] == [[0, 1, 2], [3, 4, 5], [6]]


async def test_the_first_message_after_a_quiet_spell_waits_the_window_for_company() -> None:
    intake: Intake[Any] = Intake(1 << 20, 1000, 0.1)
    taking = asyncio.create_task(intake.take())
    await asyncio.sleep(0.01)
    await intake.put(1, 10)
    await asyncio.sleep(0.02)
    await intake.put(2, 10)
    assert await asyncio.wait_for(taking, timeout=1) == [1, 2]


async def test_a_closed_intake_is_drained_before_it_says_so() -> None:
    intake: Intake[Any] = Intake(1 << 20, 1000, 0)
    await intake.put(1, 10)
    intake.close()
    assert await intake.take() == [1]
    with pytest.raises(IntakeClosed):
        await intake.take()


async def test_a_reader_error_reaches_the_agent() -> None:
    intake: Intake[Any] = Intake(1 << 20, 1000, 0)
    intake.close(RuntimeError("the stream broke"))
    with pytest.raises(RuntimeError, match="the stream broke"):
        await command_agent.apply_sets(intake, _Recorder(), _never_ack)


async def _never_ack(event: Any) -> None:
    raise AssertionError(f"{event} acknowledged")


async def test_a_set_stopped_midway_is_not_acknowledged() -> None:
    intake: Intake[Any] = Intake(1 << 20, 1000, 0)
    processor = _Recorder()
    with patch.object(command_agent, "arrival_of", lambda m: m):
        task = asyncio.create_task(command_agent.apply_sets(intake, processor, _never_ack))
        await intake.put(_event(1), 10)
        await asyncio.wait_for(processor.started.wait(), timeout=5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


class _App:
    def __init__(self) -> None:
        self.commits: list[float] = []
        self.consumer = self

    async def commit(self) -> None:
        self.commits.append(asyncio.get_running_loop().time())


async def test_a_stopping_worker_finishes_what_it_took_then_commits() -> None:
    """A set being applied and the commands taken behind it are applied before the commit."""
    intake: Intake[Any] = Intake(1 << 20, 1000, 0)
    processor = _Recorder()
    done: list[float] = []

    async def ack(event: Any) -> None:
        done.append(asyncio.get_running_loop().time())

    app: Any = _App()
    command_agent._intakes.append(intake)
    try:
        with patch.object(command_agent, "arrival_of", lambda m: m):
            task = asyncio.create_task(command_agent.apply_sets(intake, processor, ack))
            await intake.put(_event(1), 10)
            await asyncio.wait_for(processor.started.wait(), timeout=5)
            await intake.put(_event(2), 10)  # taken, waiting behind the set
            asyncio.get_running_loop().call_later(0.3, processor.release.set)
            assert await command_agent.finish_batches(app, grace=5)
            task.cancel()
    finally:
        command_agent._intakes.remove(intake)
    assert processor.sets == [[1], [2]]
    assert len(done) == 2
    assert app.commits
    assert app.commits[0] >= done[-1]


async def test_a_set_that_outlasts_the_grace_is_left_uncommitted() -> None:
    intake: Intake[Any] = Intake(1 << 20, 1000, 0)
    processor = _Recorder()  # never released: a store away, waited out however long
    app: Any = _App()
    with patch.object(command_agent, "arrival_of", lambda m: m):
        task = asyncio.create_task(command_agent.apply_sets(intake, processor, _never_ack))
        await intake.put(_event(1), 10)
        await asyncio.wait_for(processor.started.wait(), timeout=5)
        assert not await command_agent.finish_batches(app, grace=0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert app.commits == []


async def test_what_was_taken_before_a_rebalance_is_left_to_the_new_owner() -> None:
    generation = 1
    intake: Intake[Any] = Intake(1 << 20, 1000, 0, keep=lambda item: item[1] == generation)
    await intake.put(("old", 1), 10)
    await intake.put(("older", 1), 10)
    generation = 2  # the group rebalanced while they waited
    taking = asyncio.create_task(intake.take())
    await asyncio.sleep(0.02)
    assert not taking.done()  # an empty set is not a set
    await intake.put(("new", 2), 10)
    assert await asyncio.wait_for(taking, timeout=1) == [("new", 2)]
    assert intake.bytes == 0


class _Stream:
    """What `sets` uses of a Faust stream: its events, and acknowledging one."""

    def __init__(self, values: list[bytes]) -> None:
        self.values = values
        self.enable_acks = True
        self.acked: list[bytes] = []
        self.app = SimpleNamespace(consumer_generation_id=1)

    async def events(self) -> Any:
        for value in self.values:
            message = SimpleNamespace(serialized_value_size=1, generation_id=1)
            yield SimpleNamespace(value=value, message=message)
        await asyncio.sleep(60)  # the topic has nothing more for now

    async def ack(self, event: Any) -> None:
        self.acked.append(event.value)


async def test_an_indexers_set_is_acknowledged_once_handled_and_not_when_it_fails() -> None:
    stream = _Stream([b"a", b"b"])
    taken = sets(cast(Any, stream), 1 << 20, 1, 0)
    assert await anext(taken) == [b"a"]
    assert not stream.enable_acks  # Faust would acknowledge as it yields otherwise
    assert stream.acked == []  # not handled yet
    assert await anext(taken) == [b"b"]
    assert stream.acked == [b"a"]
    with pytest.raises(RuntimeError):
        await taken.athrow(RuntimeError("the store is away"))  # type: ignore[attr-defined]
    assert stream.acked == [b"a"]
