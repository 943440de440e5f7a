"""The process's tracer provider: OpenTelemetry spans exported over OTLP/HTTP, or nothing.

Tracing is off unless the settings name an OTLP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`):
then the global tracer provider stays the API's no-op one, spans cost a function call and
no exporter, thread or connection exists. The gateway and the worker call `start_tracing`
once, when their process starts (never at import), before any client is opened.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from core.settings import Settings


def service_name(settings: Settings, process: str) -> str:
    return settings.otel_service_name or f"refactortrack-{process}"


def start_tracing(settings: Settings, process: str) -> bool:
    """Install an exporting tracer provider if tracing is configured; True if it is.

    `process` names the process in its spans (`gateway`, `worker`) unless OTEL_SERVICE_NAME
    does. Idempotent: a second call in the same process changes nothing.
    """
    endpoint = settings.traces_endpoint
    if endpoint is None:
        return False
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return True
    # Resource.create also reads OTEL_RESOURCE_ATTRIBUTES; what is given here wins.
    resource = Resource.create(
        {
            SERVICE_NAME: service_name(settings, process),
            "deployment.environment.name": settings.environment,
        }
    )
    # The sampler comes from OTEL_TRACES_SAMPLER (default: parent-based, always on); the
    # batch processor's delay and sizes from OTEL_BSP_*; the exporter's headers, timeout
    # and compression from OTEL_EXPORTER_OTLP_*. The provider flushes at exit.
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    trace.set_tracer_provider(provider)
    return True
