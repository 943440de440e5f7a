"""Turns tracing on for a process at its start: the exporter, the drivers, the API.

Nothing happens unless the settings name an OTLP endpoint (core/tracing.py).
"""

from __future__ import annotations

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from core.settings import Settings
from core.tracing import start_tracing
from stores.driver_tracing import trace_drivers

# Probes and scrapes every few seconds: traces of them would bury the requests.
UNTRACED_PATHS = "/health$,/ready$,/metrics$"


def trace_process(settings: Settings, process: str) -> bool:
    """The exporter and the drivers' spans, if tracing is configured; True if it is."""
    if not start_tracing(settings, process):
        return False
    trace_drivers()
    return True


def trace_api(api: FastAPI) -> None:
    """A server span for each request (its parent from the caller's `traceparent`)."""
    FastAPIInstrumentor.instrument_app(
        api,
        excluded_urls=UNTRACED_PATHS,
        # The ASGI receive/send spans of each body chunk say nothing a request's span
        # does not.
        exclude_spans=["receive", "send"],
    )
