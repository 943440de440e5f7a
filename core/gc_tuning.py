"""The cyclic garbage collector, out of the request path of a long-running process.

A full (oldest-generation) collection walks every object the process holds: in a worker,
the imported libraries, the gazetteer and the caches, some 500,000 objects, which took
0.5-2 s on the loaded two-core bench machine. Python runs one whenever enough objects have
survived two younger collections, so a worker or a gateway under steady load stopped
every few seconds for that long, and each stop landed on the latency of whatever was in
flight (it showed in py-spy as time inside whatever allocated at that moment).

After start-up, what the process has loaded lives as long as the process: `freeze()`
moves it to the permanent generation, which no collection walks, so a full collection
walks only what was made since. The young thresholds stay Python's: measured under
load, a first threshold of 10,000 made the young collections few but long (up to 350 ms),
against under 100 ms at the default 700.

The freeze has a cost of its own in a worker applying an import: Python runs a full
collection after ten generation-1 collections once the objects moved to the old generation
since the last one pass a quarter of what it held after it. Frozen objects are not counted,
so that quarter is a few thousand objects, and with a set of 2,000 rows alive (some
150,000 objects per 500 rows read, opened, validated and sealed) a worker ran a full
collection every second or two that walked the whole set, found nothing to collect (the
set is freed by reference counting when it is done) and paused it 0.2-1.2 s: 14 s of a
70-second import of 20,000 rows. `space_full_collections` raises the old generation's
threshold (how many generation-1 collections a full one waits for) for such a process:
the young collections, which is where the interactive path's latency is, are unchanged,
and cyclic garbage in the old generation (a handful of objects per full collection in the
logs) waits a few seconds longer.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

from prometheus_client import Histogram

log = logging.getLogger(__name__)

SLOW_PAUSE_SECONDS = 0.05
"""A collection that held the process this long is logged."""

_started: list[float] = []

PAUSE_SECONDS = Histogram(
    "rt_gc_pause_seconds",
    "Each collection's pause of the process, by generation (every collection: the log "
    "names only those of SLOW_PAUSE_SECONDS or more)",
    ["generation"],
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
_paused = [PAUSE_SECONDS.labels(str(generation)) for generation in range(3)]


def freeze_loaded_objects() -> int:
    """Collect once, then exempt every object that survived from later collections; the
    number of objects frozen. For the end of a process's start-up."""
    gc.collect()
    gc.freeze()
    gc.enable()
    frozen = gc.get_freeze_count()
    log.info("garbage collector: %d objects loaded at start frozen", frozen)
    return frozen


def hold_collections() -> None:
    """Freeze what is loaded so far and stop collecting until `freeze_loaded_objects`: for
    a bulk load that follows (the gazetteer), which otherwise set off a full collection
    every second or two while it ran (each walking all it had loaded so far)."""
    gc.freeze()
    gc.disable()


def space_full_collections(every: int) -> None:
    """A full collection only after `every` generation-1 collections (Python's default
    is 10); the young generations' thresholds stay as they are."""
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, max(1, every))
    log.info("garbage collector: a full collection after %d younger ones", every)


def log_slow_collections() -> None:
    """Log each collection that paused the process for SLOW_PAUSE_SECONDS or more."""
    if _report not in gc.callbacks:
        gc.callbacks.append(_report)


def _report(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _started[:] = [time.perf_counter()]
    elif _started:
        paused = time.perf_counter() - _started[0]
        generation = info.get("generation", -1)
        if 0 <= generation < len(_paused):
            _paused[generation].observe(paused)
        if paused >= SLOW_PAUSE_SECONDS:
            log.info(
                "garbage collector: generation %d paused the process %.0f ms (%d collected)",
                generation,
                paused * 1000,
                info.get("collected", 0),
            )
