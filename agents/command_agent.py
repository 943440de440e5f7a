"""A domain's command agent: reads its stream into an intake and hands the intake's sets to
its processor, acknowledging each set once it is applied."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

import faust

from agents.metrics import AGENT_SECONDS, BATCHES, COMMAND_STAGE_SECONDS
from agents.processor import Arrival, CommandProcessor
from agents.stream_intake import (
    LOG_APPEND_TIME,
    Intake,
    IntakeClosed,
    of_this_generation,
    read_stream,
)

log = logging.getLogger(__name__)

BATCH_SIZE = 1000
BATCH_WINDOW_SECONDS = 0.01

# Sets being applied now, by every command agent of this process.
_in_flight = 0
# Commands taken off a stream and not yet applied, by every command agent of this process.
_intakes: list[Intake[Any]] = []
TAKEN = COMMAND_STAGE_SECONDS.labels("taken")
# Read off the stream into the intake: what of `taken` was before the worker's own code.
READ = COMMAND_STAGE_SECONDS.labels("read")


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


async def apply_sets(
    intake: Intake[Any],
    processor: CommandProcessor,
    ack: Callable[[Any], Awaitable[object]],
    topic: str = "",
) -> None:
    """Hand each set to the processor; its messages are acknowledged only once it is applied.

    A set stopped midway (the worker's grace for finishing it ran out) is left
    unacknowledged, so its offsets are not committed and it is delivered again: the ledger
    makes the commands already applied change nothing.
    """
    global _in_flight
    # How long the agent had nothing to apply, against how long it applied: when it waits
    # much, its input (the importer, the fetch), not its work, holds an import back.
    waited, applied = (
        AGENT_SECONDS.labels(topic, "waiting"),
        AGENT_SECONDS.labels(topic, "applying"),
    )
    mark = time.perf_counter()
    while True:
        try:
            events = await intake.take()
        except IntakeClosed:
            return
        now = time.perf_counter()
        waited.observe(now - mark)
        BATCHES.labels(topic).observe(len(events))
        _in_flight += 1  # until acknowledged: finish_batches commits only after that
        try:
            await processor.process_batch([arrival_of(e.message) for e in events])
            mark = time.perf_counter()
            applied.observe(mark - now)
            for event in events:
                await ack(event)
        finally:
            _in_flight -= 1
            mark = time.perf_counter()


async def finish_batches(app: faust.App, grace: float) -> bool:
    """Wait (at most `grace` s) until no command agent holds a batch, then commit the
    offsets of what they applied; True if they all finished.

    For a worker that stops: Faust has stopped fetching by then, so what remains is what
    the agents already took (a batch being applied, or one in take_events' buffer, which
    it hands over within BATCH_WINDOW_SECONDS). Faust's own `wait_empty` is no use here: it
    also waits for the followers' last messages, which `take` acknowledges only when the
    next one comes, and it cannot be cancelled.
    """
    deadline = time.monotonic() + grace
    settle = max(0.05, 5 * BATCH_WINDOW_SECONDS)
    while True:
        await asyncio.sleep(settle)  # a buffered set is handed over; a done one acked
        if _in_flight == 0 and not any(len(intake) for intake in _intakes):
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
    buffer_bytes: int = 8 << 20,
) -> None:
    commands = app.topic(topic)

    async def handle_commands(stream: faust.StreamT[bytes]) -> None:
        # The concrete Stream: acknowledging by hand is not on the StreamT protocol.
        concrete = cast(faust.Stream[bytes], stream)
        intake = Intake(
            buffer_bytes, BATCH_SIZE, BATCH_WINDOW_SECONDS, keep=of_this_generation(app)
        )
        _intakes.append(intake)
        try:
            async with read_stream(concrete, intake, READ.observe):
                await apply_sets(intake, processor, concrete.ack, topic)
        finally:
            _intakes.remove(intake)

    app.agent(commands, name=name)(handle_commands)
