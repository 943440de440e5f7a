"""The candidates agent: a thin loop over the command topic."""

from __future__ import annotations

import faust

from agents.processor import CommandProcessor

BATCH_SIZE = 200
BATCH_WINDOW_SECONDS = 0.005


def register(app: faust.App, processor: CommandProcessor, topic: str) -> None:
    commands = app.topic(topic)

    @app.agent(commands, name="candidates.commands")
    async def handle_candidate_commands(stream: faust.StreamT[bytes]) -> None:
        async for events in stream.take_events(BATCH_SIZE, within=BATCH_WINDOW_SECONDS):
            await processor.process_batch([(e.message.key, e.message.value) for e in events])
