"""The command pipeline's handling of messages that never reach a handler."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from agents.processor import CommandProcessor, RetryPolicy


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
        async def process(self, key: bytes | None, value: bytes | None) -> None:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.01)
            order.append((key, value))
            running -= 1

    ctx: Any = object()
    probe = Probe(ctx, {}, RecordingPublisher(), events_topic="e", dlq_topic="d", concurrency=4)
    batch = [(b"a", b"1"), (b"b", b"1"), (b"a", b"2"), (b"c", b"1"), (b"a", b"3")]
    await probe.process_batch(batch)
    assert [v for k, v in order if k == b"a"] == [b"1", b"2", b"3"]
    assert sorted(order) == sorted(batch)
    assert peak == 3
