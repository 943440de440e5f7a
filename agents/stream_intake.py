"""Messages an agent has taken off its stream and not yet handled, bounded in bytes.

Why not Faust's own buffer (its `take_events`): while a set is being applied, `take_events`
stops taking from the stream, so what arrives meanwhile waits in the stream's queue; past
80 % of `stream_buffer_maxsize` Faust's flow control takes the partition out of the fetch,
and the fetch in flight runs out its one-second timeout before the partition is read again.
A set a little slower than usual under 200 creates/s was enough: the commands behind it
waited one to two seconds (docs/interactive-latency.md). Here the stream is read all the
time, into a buffer bounded in bytes (an import's 500-row message and a single create
count by what they weigh), so Faust's queue stays near empty on the interactive path and
fills (and its flow control holds the fetch back) only when this buffer is full: a bulk
import outrunning the worker, where waiting is the point.

The indexers read their event streams the same way (`sets`), for the same reason: the
search-visible path waited behind the same flow control.

A set's messages are acknowledged only once the set is handled (agents/command_agent.py
acknowledges each applied set; `sets` when asked for the next one), so offsets are committed
only for what was done, and a set stopped midway is delivered again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Generic, TypeVar, cast

import faust

E = TypeVar("E")

LOG_APPEND_TIME = 1

# What a follower (an indexer) holds taken and not yet handled: its events are small, an
# import's come 500 rows to the message; about 30 of those.
INTAKE_BYTES = 8 << 20


class IntakeClosed(Exception):
    """The stream ended; nothing more will come."""


class Intake(Generic[E]):
    """A FIFO of taken messages, bounded in bytes for the reader, drained in sets."""

    def __init__(
        self,
        limit_bytes: int,
        max_set: int,
        window: float,
        keep: Callable[[E], bool] | None = None,
    ) -> None:
        self._limit = limit_bytes
        # Whether a message taken is still this worker's to handle when its set is formed:
        # after a rebalance, what was taken for a partition since given away is left
        # (unacknowledged) to its new owner, as Faust leaves its own buffer's.
        self._keep = keep
        self._max_set = max_set
        self._window = window
        self._items: deque[tuple[E, int]] = deque()
        self._bytes = 0
        self._arrived = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._error: BaseException | None = None

    def __len__(self) -> int:
        return len(self._items)

    @property
    def bytes(self) -> int:
        return self._bytes

    async def put(self, item: E, size: int) -> None:
        """Add one message, waiting while the buffer holds its limit.

        One message larger than the limit still goes in when the buffer is empty: the
        bound is on what waits, never a reason to refuse a command.
        """
        while self._items and self._bytes + size > self._limit:
            self._room.clear()
            await self._room.wait()
        self._items.append((item, size))
        self._bytes += size
        self._arrived.set()

    def close(self, error: BaseException | None = None) -> None:
        """The reader stopped: `take` raises `error` (or IntakeClosed) once drained."""
        self._error = error or IntakeClosed()
        self._arrived.set()

    async def take(self) -> list[E]:
        """The next set: everything waiting (up to `max_set`), at once if something was.

        When the buffer was empty, the first message to come is held `window` seconds so
        that the ones right behind it share its set (and its transaction); messages that
        already waited behind a set being applied are not held again.
        """
        while True:
            if not self._items:
                while not self._items:
                    if self._error is not None:
                        raise self._error
                    self._arrived.clear()
                    await self._arrived.wait()
                if self._window > 0 and len(self._items) < self._max_set:
                    await asyncio.sleep(self._window)
            taken: list[E] = []
            while self._items and len(taken) < self._max_set:
                item, size = self._items.popleft()
                self._bytes -= size
                if self._keep is None or self._keep(item):
                    taken.append(item)
            self._room.set()
            if taken:
                return taken


def of_this_generation(app: faust.types.AppT) -> Callable[[faust.types.EventT[bytes]], bool]:
    """Whether an event was fetched since the consumer group's last rebalance."""

    def current(event: faust.types.EventT[bytes]) -> bool:
        return bool(event.message.generation_id == app.consumer_generation_id)

    return current


@contextlib.asynccontextmanager
async def read_stream(
    stream: faust.Stream[bytes],
    intake: Intake[faust.types.EventT[bytes]],
    observe: Callable[[float], None] | None = None,
) -> AsyncIterator[None]:
    """Within the block, every message of the stream is taken into the intake as it comes,
    unacknowledged (Faust would acknowledge each as it is yielded otherwise); `observe` is
    given how long each had been in its topic (by the broker's append time) when read."""
    stream.enable_acks = False

    async def read() -> None:
        try:
            async for event in stream.events():
                message = event.message
                if observe is not None and message.timestamp_type == LOG_APPEND_TIME:
                    observe(max(0.0, time.time() - message.timestamp))
                await intake.put(event, message.serialized_value_size or 0)
        except BaseException as exc:
            intake.close(exc)
            raise
        intake.close()

    reader = asyncio.create_task(read())
    try:
        yield
    finally:
        reader.cancel()
        with contextlib.suppress(BaseException):
            await reader


async def sets(
    stream: faust.StreamT[bytes], limit_bytes: int, max_set: int, window: float
) -> AsyncIterator[list[bytes]]:
    """The stream's values in sets, like Faust's `take`, read while a set is handled; a set
    is acknowledged when the next one is asked for, never when the loop over it is left by
    an error or a cancellation (its messages then come again)."""
    concrete = cast(faust.Stream[bytes], stream)
    intake = Intake(limit_bytes, max_set, window, keep=of_this_generation(concrete.app))
    async with read_stream(concrete, intake):
        while True:
            try:
                events = await intake.take()
            except IntakeClosed:
                return
            yield [event.value for event in events]
            for event in events:
                await concrete.ack(event)
