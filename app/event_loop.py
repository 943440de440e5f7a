"""The event loop a Faust worker runs on (WORKER_EVENT_LOOP), and how often its threads
hand the GIL over (WORKER_GIL_SWITCH_MS)."""

from __future__ import annotations

import sys

from core.settings import Settings


def use_worker_loop(settings: Settings) -> None:
    """Set the loop policy the worker's loop will be made with: call it before anything
    makes a loop (building the Faust app, adopting offsets)."""
    sys.setswitchinterval(settings.worker_gil_switch_ms / 1000)
    if settings.worker_event_loop == "uvloop":
        # mode sets uvloop's policy when this module is imported.
        import mode.loop

        mode.loop.use("uvloop")
