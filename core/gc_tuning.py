"""The cyclic garbage collector, out of the request path of a long-running process.

A full (oldest-generation) collection walks every object the process holds: in a worker,
the imported libraries, the gazetteer and the caches, some 500,000 objects, which took
0.5-2 s on the loaded two-core bench machine. Python runs one whenever enough objects have
survived two younger collections, so a worker or a gateway under steady load stopped
every few seconds for that long, and each stop landed on the latency of whatever was in
flight (it showed in py-spy as time inside whatever allocated at that moment).

After start-up, what the process has loaded lives as long as the process: `freeze()`
moves it to the permanent generation, which no collection walks, so a full collection
walks only what was made since. The thresholds stay Python's: measured under load, a
first threshold of 10,000 made the young collections few but long (up to 350 ms),
against under 100 ms at the default 700.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

log = logging.getLogger(__name__)

SLOW_PAUSE_SECONDS = 0.05
"""A collection that held the process this long is logged."""

_started: list[float] = []


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


def log_slow_collections() -> None:
    """Log each collection that paused the process for SLOW_PAUSE_SECONDS or more."""
    if _report not in gc.callbacks:
        gc.callbacks.append(_report)


def _report(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _started[:] = [time.perf_counter()]
    elif _started:
        paused = time.perf_counter() - _started[0]
        if paused >= SLOW_PAUSE_SECONDS:
            log.info(
                "garbage collector: generation %d paused the process %.0f ms (%d collected)",
                info.get("generation", -1),
                paused * 1000,
                info.get("collected", 0),
            )
