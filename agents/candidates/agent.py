"""The candidates agent: a thin loop over the command topic."""

from __future__ import annotations

import faust

from agents.processor import CommandProcessor


def register(app: faust.App, processor: CommandProcessor, topic: str) -> None:
    commands = app.topic(topic)

    @app.agent(commands, name="candidates.commands")
    async def handle_candidate_commands(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            await processor.process(event.message.key, event.message.value)
