"""A domain's command agent: a thin loop that hands batches of commands to its processor."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import cast

import faust

from agents.metrics import BATCHES
from agents.processor import Arrival, CommandProcessor

BATCH_SIZE = 1000
LOG_APPEND_TIME = 1
BATCH_WINDOW_SECONDS = 0.01


def arrival_of(message: faust.types.Message) -> Arrival:
    # The broker's own time of append (command topics use log-append time); a producer's
    # time on a topic that keeps it could be anything, so it judges no deadline.
    appended_at = None
    if message.timestamp_type == LOG_APPEND_TIME and message.timestamp:
        appended_at = datetime.fromtimestamp(message.timestamp, tz=UTC)
    # The producer's trace context rides in the headers (core/trace_context.py).
    headers = message.headers or ()
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return Arrival(message.key, message.value, appended_at, tuple(pairs))


def register(app: faust.App, name: str, topic: str, processor: CommandProcessor) -> None:
    commands = app.topic(topic)

    async def handle_commands(stream: faust.StreamT[bytes]) -> None:
        # take_events is on the concrete Stream, not (yet) on the StreamT protocol.
        batches = cast(faust.Stream[bytes], stream).take_events(
            BATCH_SIZE, within=BATCH_WINDOW_SECONDS
        )
        async for events in batches:
            BATCHES.labels(topic).observe(len(events))
            await processor.process_batch([arrival_of(e.message) for e in events])

    app.agent(commands, name=name)(handle_commands)
