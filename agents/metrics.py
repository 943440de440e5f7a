"""What a worker counts, for Prometheus: commands by type and outcome, dead letters,
handler time, batch sizes. Lag per partition is read when scraped
(app/worker_health.py), from the consumer itself."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Histogram

COMMANDS = Counter(
    "rt_worker_commands_total",
    "Commands settled by the worker, by type and outcome (applied, rejected)",
    ["type", "status"],
)
DEAD_LETTERS = Counter(
    "rt_worker_dead_letters_total",
    "Messages sent to a dead-letter topic, by topic",
    ["topic"],
)
HANDLER_SECONDS = Histogram(
    "rt_worker_handler_seconds",
    "Time a handler took over one set of commands of a type (the stores' time included)",
    ["type"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BATCHES = Histogram(
    "rt_worker_batch_size",
    "Messages the worker took from a topic at once",
    ["topic"],
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000),
)
COMMAND_STAGE_SECONDS = Histogram(
    "rt_worker_command_stage_seconds",
    "Where a command's time goes in the worker: `taken` (the broker appended it → its batch "
    "reached the processor, per command), `opened` (the batch reached the processor → its "
    "set's transaction began, per set), `transaction` (began → committed, per set), "
    "`outcomes` (committed → outcomes recorded and announced, per set), `settled` "
    "(committed → events acknowledged too, per set)",
    ["stage"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
_SPANS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
STEP_SECONDS = Histogram(
    "rt_worker_step_seconds",
    "Wall time of each step of applying a set of commands (a store's round trip, waiting "
    "for a core or for the garbage collector included)",
    ["step"],
    buckets=_SPANS,
)
AGENT_SECONDS = Histogram(
    "rt_worker_agent_seconds",
    "Wall time of a command agent applying a batch, and waiting for the next one, by topic",
    ["topic", "state"],
    buckets=_SPANS,
)


@contextmanager
def timed(step: str) -> Iterator[None]:
    """Count the block's wall time under `step` (STEP_SECONDS), however it ends: where a
    set's time goes, one step after another (docs/bulk-imports.md)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        STEP_SECONDS.labels(step).observe(time.perf_counter() - started)
