"""Turns tracing on for a process at its start: the exporter and the drivers' spans.

Nothing happens unless the settings name an OTLP endpoint (core/tracing.py). The gateway's
request spans need nothing here: FastAPI makes them itself once a tracer provider is
installed (gateway/app.py says which requests it leaves out).
"""

from __future__ import annotations

from core.settings import Settings
from core.tracing import start_tracing
from stores.driver_tracing import trace_drivers


def trace_process(settings: Settings, process: str) -> bool:
    """The exporter and the drivers' spans, if tracing is configured; True if it is."""
    if not start_tracing(settings, process):
        return False
    trace_drivers()
    return True
