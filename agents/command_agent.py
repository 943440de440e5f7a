"""A domain's command agent: a thin loop that hands batches of commands to its processor."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

import faust

from agents.metrics import AGENT_SECONDS, BATCHES, COMMAND_STAGE_SECONDS
from agents.processor import Arrival, CommandProcessor

log = logging.getLogger(__name__)

BATCH_SIZE = 1000
LOG_APPEND_TIME = 1
BATCH_WINDOW_SECONDS = 0.01

# Batches an agent was stopped in the middle of. Faust acknowledges a whole batch when its
# generator is closed, applied or not; kept here, it is never closed in this process, so
# those offsets are not committed and the batch is delivered again (the ledger makes the
# commands already applied change nothing).
_unfinished: list[AsyncIterator[Any]] = []
# Batches being applied now, by every command agent of this process.
_in_flight = 0
TAKEN = COMMAND_STAGE_SECONDS.labels("taken")


def arrival_of(message: faust.types.Message) -> Arrival:
    # The broker's own time of append (command topics use log-append time); a producer's
    # time on a topic that keeps it could be anything, so it judges no deadline.
    appended_at = None
    if message.timestamp_type == LOG_APPEND_TIME and message.timestamp:
        appended_at = datetime.fromtimestamp(message.timestamp, tz=UTC)
        # Taken as its batch goes to the processor: how long it waited between the broker
        # and the processor (the fetch, the batching window, the batch before), the
        # worker's share of a write's latency that no handler timing shows.
        TAKEN.observe(max(0.0, time.time() - message.timestamp))
    # The producer's trace context rides in the headers (core/trace_context.py).
    headers = message.headers or ()
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return Arrival(message.key, message.value, appended_at, tuple(pairs))


async def apply_batches(
    batches: AsyncIterator[Sequence[faust.types.EventT[bytes]]],
    processor: CommandProcessor,
    topic: str = "",
) -> None:
    """Hand each batch to the processor; a batch is acknowledged only once it is applied."""
    global _in_flight
    # How long the agent had nothing to apply, against how long it applied: when it waits
    # much, its input (the importer, the fetch), not its work, holds an import back.
    waited, applied = (
        AGENT_SECONDS.labels(topic, "waiting"),
        AGENT_SECONDS.labels(topic, "applying"),
    )
    mark = time.perf_counter()
    async for events in batches:
        now = time.perf_counter()
        waited.observe(now - mark)
        BATCHES.labels(topic).observe(len(events))
        _in_flight += 1
        try:
            await processor.process_batch([arrival_of(e.message) for e in events])
        except asyncio.CancelledError:
            # Stopped mid-batch (the worker's grace for finishing it ran out): leave the
            # batch unacknowledged rather than let closing the generator acknowledge it.
            _unfinished.append(batches)
            raise
        finally:
            _in_flight -= 1
            mark = time.perf_counter()
            applied.observe(mark - now)


async def finish_batches(
    app: faust.App, grace: float, window: float = BATCH_WINDOW_SECONDS
) -> bool:
    """Wait (at most `grace` s) until no command agent holds a batch, then commit the
    offsets of what they applied; True if they all finished.

    For a worker that stops: Faust has stopped fetching by then, so what remains is what
    the agents already took (a batch being applied, or one in take_events' buffer, which
    it hands over within `window`, the agents' batching window). Faust's own `wait_empty`
    is no use here: it also waits for the followers' last messages, which `take`
    acknowledges only when the next one comes, and it cannot be cancelled.
    """
    deadline = time.monotonic() + grace
    settle = max(0.05, 5 * window)
    while True:
        await asyncio.sleep(settle)  # a buffered batch is handed over; a done one acked
        if _in_flight == 0:
            break
        if time.monotonic() > deadline:
            log.warning("stopping with %d batch(es) unfinished after %.0f s", _in_flight, grace)
            return False
    await app.consumer.commit()
    return True


def register(
    app: faust.App,
    name: str,
    topic: str,
    processor: CommandProcessor,
    window: float = BATCH_WINDOW_SECONDS,
) -> None:
    commands = app.topic(topic)

    async def handle_commands(stream: faust.StreamT[bytes]) -> None:
        # take_events is on the concrete Stream, not (yet) on the StreamT protocol.
        batches = cast(faust.Stream[bytes], stream).take_events(BATCH_SIZE, within=window)
        await apply_batches(batches, processor, topic)

    app.agent(commands, name=name)(handle_commands)
