"""A domain's command agent: a thin loop that hands batches of commands to its processor."""

from __future__ import annotations

from typing import cast

import faust

from agents.processor import CommandProcessor

BATCH_SIZE = 1000
BATCH_WINDOW_SECONDS = 0.01


def register(app: faust.App, name: str, topic: str, processor: CommandProcessor) -> None:
    commands = app.topic(topic)

    async def handle_commands(stream: faust.StreamT[bytes]) -> None:
        # take_events is on the concrete Stream, not (yet) on the StreamT protocol.
        batches = cast(faust.Stream[bytes], stream).take_events(
            BATCH_SIZE, within=BATCH_WINDOW_SECONDS
        )
        async for events in batches:
            await processor.process_batch([(e.message.key, e.message.value) for e in events])

    app.agent(commands, name=name)(handle_commands)
