"""The event loop a Faust worker runs on (WORKER_EVENT_LOOP)."""

from __future__ import annotations

from core.settings import Settings


def use_worker_loop(settings: Settings) -> None:
    """Set the loop policy the worker's loop will be made with: call it before anything
    makes a loop (building the Faust app, adopting offsets)."""
    if settings.worker_event_loop == "uvloop":
        # mode sets uvloop's policy when this module is imported.
        import mode.loop

        mode.loop.use("uvloop")
