"""The candidates agent: a thin loop over the command topic."""

from __future__ import annotations

from typing import cast

import faust

from agents.processor import CommandProcessor

BATCH_SIZE = 200
BATCH_WINDOW_SECONDS = 0.01


def register(app: faust.App, processor: CommandProcessor, topic: str) -> None:
    commands = app.topic(topic)

    @app.agent(commands, name="candidates.commands")
    async def handle_candidate_commands(stream: faust.StreamT[bytes]) -> None:
        # take_events is on the concrete Stream, not (yet) on the StreamT protocol.
        batches = cast(faust.Stream[bytes], stream).take_events(
            BATCH_SIZE, within=BATCH_WINDOW_SECONDS
        )
        async for events in batches:
            await processor.process_batch([(e.message.key, e.message.value) for e in events])
