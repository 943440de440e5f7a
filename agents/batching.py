"""Batches of a stream's events whose window counts from their first message.

Faust's `Stream.take_events(max_, within)` waits `within` after each batch it hands
over, whatever is already waiting: under steady load every message that arrived while the
agent applied the last batch has waited that long already, and then waits the whole
window again. `take_batches` counts the window from when the batch's first message
reached the agent instead, so a batch whose first message has waited its window goes as
soon as what is queued behind it has joined. A quiet agent
batches exactly as before: a lone message waits the window for company.

Acknowledgement is Faust's: a batch's events are acknowledged only when the next batch
is asked for (or the generator is closed), after the caller has applied it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, cast

import faust
from faust.types import ChannelT, EventT
from mode.utils.locks import Event


async def take_batches(
    stream: faust.Stream[Any], max_: int, within: float
) -> AsyncIterator[list[EventT[Any]]]:
    """Lists of at most `max_` events: handed over when full, or `within` s after their
    first message reached the agent and what was queued behind it has joined."""
    loop = asyncio.get_running_loop()
    events: list[EventT[Any]] = []
    # mode's events: what a Faust service's waits (stopping with the stream) take.
    full, arrived, consumed = Event(), Event(), Event()
    # Set while the caller holds a batch: a message arriving then waits for it, as in
    # take_events (a batch handed over must not grow).
    holding: asyncio.Future[None] | None = None
    first_seen: float | None = None

    async def add_to_buffer(value: Any) -> Any:
        nonlocal first_seen
        if first_seen is None:
            # When the message reached the agent, even if it must wait for the batch held.
            first_seen = loop.time()
        if holding is not None:
            await holding
        event = stream.current_event
        if event is None:
            raise RuntimeError("take_batches found no current event")
        events.append(event)
        arrived.set()
        if len(events) >= max_:
            full.set()
            consumed.clear()
            # A full batch waits to be taken: never more than max_ in one.
            await stream.wait(consumed)
        return value

    enable_acks = stream.enable_acks
    # The batch is acknowledged here, after the caller applied it, not as each message
    # passes through the stream.
    stream.enable_acks = False
    stream.add_processor(add_to_buffer)
    # As take_events feeds itself: the stream drains in the background into the processor.
    channel = cast(ChannelT[Any], aiter(stream.channel))
    stream._enable_passive(channel)
    # The messages delivered to the agent that it has not taken yet.
    queue = channel.queue
    try:
        while not stream.should_stop:
            await stream.wait_for_stopped(arrived)
            if first_seen is not None:
                left = first_seen + within - loop.time()
                if left > 0:
                    await stream.wait_for_stopped(full, timeout=left)
                # The window has passed: what is queued behind joins (it enters one message
                # a turn of the loop), for at most another window; nothing more is awaited.
                until = loop.time() + within
                # Turns of the loop, not a wait for a signal: nothing signals "all taken".
                while not full.is_set() and not queue.empty() and loop.time() < until:  # noqa: ASYNC110
                    await asyncio.sleep(0)
            if not events:
                continue
            holding = loop.create_future()
            batch = list(events)
            # A message arriving while the batch is held starts the next one's window.
            events.clear()
            first_seen = None
            arrived.clear()
            try:
                yield batch
            finally:
                for event in batch:
                    await stream.ack(event)
                waiting, holding = holding, None
                waiting.set_result(None)
                full.clear()
                consumed.set()
    finally:
        stream.enable_acks = enable_acks
        stream._processors.remove(add_to_buffer)
