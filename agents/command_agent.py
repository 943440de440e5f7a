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


def _share_an_aggregate(keys: frozenset[bytes | None], held: frozenset[bytes | None]) -> bool:
    # A command without a key could be about anything: it waits for every set before it.
    return None in keys or None in held or not keys.isdisjoint(held)


async def apply_sets(
    intake: Intake[Any],
    processor: CommandProcessor,
    ack: Callable[[Any], Awaitable[object]],
    topic: str = "",
    in_flight: int = 1,
) -> None:
    """Hand each set to the processor, up to `in_flight` sets at once; a set's messages are
    acknowledged only once it is applied.

    Sets overlap only when no aggregate (message key) has commands in both: a set waits for
    the sets before it that hold any of its keys, so each aggregate's commands are applied
    in the order they came, as with one set at a time. A set spends most of its time waiting
    on the stores (its transaction, the broker's acknowledgement), so a second one in flight
    uses time the worker would otherwise spend idle. Offsets acknowledged out of order are
    committed only up to the first one not yet acknowledged (Faust keeps the gaps).

    A set stopped midway (the worker's grace for finishing it ran out) is left
    unacknowledged, so its offsets are not committed and it is delivered again: the ledger
    makes the commands already applied change nothing. An error from a set stops the agent.
    """
    # How long the agent had nothing to apply, against how long it applied: when it waits
    # much, its input (the importer, the fetch), not its work, holds an import back.
    waited, applied = (
        AGENT_SECONDS.labels(topic, "waiting"),
        AGENT_SECONDS.labels(topic, "applying"),
    )
    running: dict[asyncio.Task[None], frozenset[bytes | None]] = {}

    async def apply(events: list[Any]) -> None:
        began = time.perf_counter()
        await processor.process_batch([arrival_of(e.message) for e in events])
        applied.observe(time.perf_counter() - began)
        for event in events:
            await ack(event)

    def let_go(_: object = None) -> None:
        global _in_flight
        _in_flight -= 1

    def settled(tasks: set[asyncio.Task[Any]]) -> None:
        for task in tasks:
            if task in running:
                del running[task]
                task.result()  # the set's error, if any, stops the agent

    async def settle_one() -> None:
        done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        settled(done)

    global _in_flight
    taking: asyncio.Future[list[Any]] | None = None
    waiting = False  # a set taken, not yet started (it waits for a set it shares keys with)
    try:
        while True:
            while len(running) >= in_flight:
                await settle_one()
            mark = time.perf_counter()
            taking = asyncio.ensure_future(intake.take())
            while not taking.done():
                # The sets in flight are watched meanwhile: an error stops the agent now.
                done, _ = await asyncio.wait(
                    {taking, *running}, return_when=asyncio.FIRST_COMPLETED
                )
                settled(done)
            try:
                events = taking.result()
            except IntakeClosed:
                break
            # Held from here until applied or stopped: finish_batches waits for it.
            _in_flight += 1
            waiting = True
            waited.observe(time.perf_counter() - mark)
            BATCHES.labels(topic).observe(len(events))
            keys = frozenset(e.message.key for e in events)
            while any(_share_an_aggregate(keys, held) for held in running.values()):
                await settle_one()
            task = asyncio.create_task(apply(events))
            task.add_done_callback(let_go)  # run even if cancelled before it starts
            waiting = False
            running[task] = keys
        while running:
            await settle_one()
    finally:
        if waiting:
            let_go()
        if taking is not None:
            taking.cancel()
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)


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
    in_flight: int = 1,
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
                await apply_sets(intake, processor, concrete.ack, topic, in_flight)
        finally:
            _intakes.remove(intake)

    app.agent(commands, name=name)(handle_commands)
