"""The command pipeline's handling of messages that never reach a handler."""

from __future__ import annotations

from typing import Any

from agents.processor import CommandProcessor, RetryPolicy


class RecordingPublisher:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes, list[tuple[str, bytes]] | None]] = []

    async def publish(
        self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]] | None = None
    ) -> None:
        self.sent.append((topic, key, value, headers))


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
