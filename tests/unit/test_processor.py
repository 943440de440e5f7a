"""The command pipeline's handling of messages that never reach a handler."""

from __future__ import annotations

import asyncio
import gc
import uuid
from collections.abc import Sequence
from datetime import timedelta
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch

import pytest

from agents import command_agent
from agents.processor import Arrival, CommandProcessor, RetryPolicy, too_late
from core.clock import utcnow
from core.errors import StoreUnavailable
from topics.envelopes import Actor, CommandEnvelope


class RecordingPublisher:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes | None, list[tuple[str, bytes]] | None]] = []

    async def publish(
        self,
        topic: str,
        key: bytes,
        value: bytes | None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> None:
        self.sent.append((topic, key, value, headers))

    async def publish_many(
        self, messages: Sequence[tuple[str, bytes, bytes | None, list[tuple[str, bytes]] | None]]
    ) -> None:
        self.sent.extend(messages)


def _processor(publisher: RecordingPublisher) -> CommandProcessor:
    # The stores are never touched for a message that does not parse.
    ctx: Any = object()
    return CommandProcessor(ctx, {}, publisher, events_topic="t.events", dlq_topic="t.commands.dlq")


async def test_unparseable_bytes_go_to_the_dlq_with_a_reason() -> None:
    publisher = RecordingPublisher()
    await _processor(publisher).process(b"k", b"\xff not json")
    [(topic, key, value, headers)] = publisher.sent
    assert topic == "t.commands.dlq"
    assert (key, value) == (b"k", b"\xff not json")
    reason = dict(headers or [])["reason"].decode()
    assert reason.startswith("unparseable command envelope")


async def test_an_envelope_missing_fields_names_them_in_the_reason() -> None:
    publisher = RecordingPublisher()
    await _processor(publisher).process(None, b'{"type": "candidate.create"}')
    reason = dict(publisher.sent[0][3] or [])["reason"].decode()
    assert "command_id" in reason
    assert "tenant_id" in reason


def test_retry_delays_grow_and_are_capped() -> None:
    delays = RetryPolicy(attempts=6, first_delay=1.0, max_delay=5.0).delays()
    assert delays == [1.0, 2.0, 4.0, 5.0, 5.0]


async def test_a_batch_keeps_each_keys_order_and_runs_keys_side_by_side() -> None:
    order: list[tuple[bytes | None, bytes | None]] = []
    running = 0
    peak = 0

    class Probe(CommandProcessor):
        async def process(self, message: Any, value: bytes | None = None) -> None:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.01)
            order.append((message.key, message.value))
            running -= 1

    ctx: Any = object()
    probe = Probe(ctx, {}, RecordingPublisher(), events_topic="e", dlq_topic="d", concurrency=4)
    batch = [(b"a", b"1"), (b"b", b"1"), (b"a", b"2"), (b"c", b"1"), (b"a", b"3")]
    await probe.process_batch(batch)
    assert [v for k, v in order if k == b"a"] == [b"1", b"2", b"3"]
    assert sorted(order) == sorted(batch)
    assert peak == 3


def _command(**fields: Any) -> CommandEnvelope:
    return CommandEnvelope(
        command_id=uuid.uuid4(),
        type="candidate.create",
        tenant_id=uuid.uuid4(),
        actor=Actor(id="u"),
        payload={},
        **fields,
    )


def test_a_command_the_broker_took_after_its_deadline_is_refused() -> None:
    now = utcnow()
    command = _command(deadline=now)
    refusal = too_late(command, now + timedelta(milliseconds=1))
    assert refusal is not None
    assert refusal.code == "deadline_passed"
    assert too_late(command, now) is None
    # No deadline, or no broker time to judge by: applied as ever.
    assert too_late(_command(), now) is None
    assert too_late(command, None) is None


class Flaky(CommandProcessor):
    """Fails its first `failures` applies with `error`, then applies."""

    def __init__(self, error: Exception, failures: int) -> None:
        ctx: Any = object()
        super().__init__(
            ctx,
            {},
            RecordingPublisher(),
            events_topic="e",
            dlq_topic="t.commands.dlq",
            retry=RetryPolicy(attempts=3, first_delay=0.001, max_delay=0.002),
        )
        self.error, self.failures, self.calls = error, failures, 0

    async def _apply(self, commands: Any, arrivals: Any) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error


async def test_a_store_away_is_waited_out_and_never_sends_the_command_to_the_dlq() -> None:
    # Many more failures than the retry policy's attempts: a store can be away for long.
    flaky = Flaky(StoreUnavailable("postgres", ConnectionRefusedError()), failures=20)
    value = _command().model_dump_json().encode()
    await flaky.process(Arrival(b"k", value))
    assert flaky.calls == 21
    assert not flaky.publisher.sent  # type: ignore[attr-defined]


async def test_a_command_that_keeps_failing_while_everything_answers_ends_in_the_dlq() -> None:
    flaky = Flaky(ValueError("a bug"), failures=100)
    await flaky.process(Arrival(b"k", _command().model_dump_json().encode()))
    assert flaky.calls == 3
    [(topic, _, _, headers)] = flaky.publisher.sent  # type: ignore[attr-defined]
    assert topic == "t.commands.dlq"
    assert "processing failed" in dict(headers or [])["reason"].decode()


async def test_a_big_batch_is_applied_in_transactions_of_at_most_set_size() -> None:
    sets: list[int] = []

    class Probe(CommandProcessor):
        async def _apply_set(self, group: list[Any]) -> None:
            sets.append(len(group))

    ctx: Any = object()
    probe = Probe(
        ctx,
        {"candidate.create": _no_handler},
        RecordingPublisher(),
        events_topic="e",
        dlq_topic="d",
        set_size=200,
    )
    batch = [
        (str(uuid.uuid4()).encode(), _command().model_dump_json().encode()) for _ in range(450)
    ]
    await probe.process_batch(batch)
    assert sets == [200, 200, 50]


async def _no_handler(*_: Any) -> list[Any]:
    return []


async def test_a_batch_stopped_midway_is_not_acknowledged() -> None:
    """Faust acknowledges a batch when its generator closes; a cancelled batch must not be."""
    acked: list[int] = []
    started = asyncio.Event()

    async def batches() -> Any:
        for n in range(3):
            try:
                yield [SimpleNamespace(message=n)]
            finally:
                acked.append(n)  # what take_events does when the batch is done (or closed)

    class Slow(CommandProcessor):
        async def process_batch(self, messages: Any) -> None:
            started.set()
            await asyncio.sleep(60)

    ctx: Any = object()
    slow = Slow(ctx, {}, RecordingPublisher(), events_topic="e", dlq_topic="d")
    with patch.object(command_agent, "arrival_of", lambda e: e):
        task = asyncio.create_task(command_agent.apply_batches(batches(), slow))
        await asyncio.wait_for(started.wait(), timeout=5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    gc.collect()
    await asyncio.sleep(0.05)  # where a closed generator's `finally` would have run
    assert acked == []


class _App:
    def __init__(self) -> None:
        self.commits: list[float] = []
        self.consumer = self

    async def commit(self) -> None:
        self.commits.append(asyncio.get_running_loop().time())


async def test_a_stopping_worker_finishes_its_batch_then_commits() -> None:
    done: list[float] = []
    started = asyncio.Event()

    async def batches() -> Any:
        yield [SimpleNamespace(message=1)]
        await asyncio.sleep(60)  # nothing more comes: Faust stopped fetching

    class Busy(CommandProcessor):
        async def process_batch(self, messages: Any) -> None:
            started.set()
            await asyncio.sleep(0.3)
            done.append(asyncio.get_running_loop().time())

    ctx: Any = object()
    busy = Busy(ctx, {}, RecordingPublisher(), events_topic="e", dlq_topic="d")
    app: Any = _App()
    with patch.object(command_agent, "arrival_of", lambda e: e):
        task = asyncio.create_task(command_agent.apply_batches(batches(), busy))
        await asyncio.wait_for(started.wait(), timeout=5)
        assert await command_agent.finish_batches(app, grace=5)
        task.cancel()
    assert done
    assert app.commits
    assert app.commits[0] >= done[0]


async def test_a_batch_that_outlasts_the_grace_is_left_uncommitted() -> None:
    started = asyncio.Event()

    async def batches() -> Any:
        yield [SimpleNamespace(message=1)]

    class Stuck(CommandProcessor):
        async def process_batch(self, messages: Any) -> None:
            started.set()
            await asyncio.sleep(60)  # a store away: waited out however long

    ctx: Any = object()
    stuck = Stuck(ctx, {}, RecordingPublisher(), events_topic="e", dlq_topic="d")
    app: Any = _App()
    with patch.object(command_agent, "arrival_of", lambda e: e):
        task = asyncio.create_task(command_agent.apply_batches(batches(), stuck))
        await asyncio.wait_for(started.wait(), timeout=5)
        assert not await command_agent.finish_batches(app, grace=0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert app.commits == []
