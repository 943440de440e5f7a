"""The trace context that rides on Kafka messages, and the spans around them.

A message carries its producer's span as the W3C `traceparent` header (and `tracestate`
when there is one), so the span of whoever applies it can point back at it. Headers are
Kafka's: a list of (name, bytes) pairs.

Everything here is the OpenTelemetry API: with no tracer provider installed
(core/tracing.py, tracing off) no span is recorded and no header is written.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanContext, SpanKind
from opentelemetry.util.types import Attributes

Headers = Sequence[tuple[str, bytes]]

# A proxy: it records nothing until (unless) a provider is installed.
TRACER = trace.get_tracer("refactortrack")


def trace_headers() -> list[tuple[str, bytes]]:
    """The current span's context as Kafka headers (none when no span is recording)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return [(name, value.encode()) for name, value in carrier.items()]


def extract(headers: Headers | Mapping[str, bytes] | None) -> Context | None:
    """The producer's context a message's headers carry, or None."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers or ()
    carrier = {
        name.lower(): value.decode("latin-1")
        for name, value in pairs
        if isinstance(name, str) and isinstance(value, bytes)
    }
    if "traceparent" not in carrier:
        return None
    context = propagate.extract(carrier)
    return context if trace.get_current_span(context).get_span_context().is_valid else None


@contextmanager
def consuming(
    name: str, carriers: Sequence[Headers], attributes: Attributes = None
) -> Iterator[Span]:
    """The current span while messages are applied together.

    Messages from one producer span (one request): a child of that span, in its trace.
    Several: OpenTelemetry's pattern for a batch, a span of its own (a new trace) with a
    link to each message's producer span, since the work is shared and no one message
    is its parent. None carries a context (a job's or an integration's command): a root.
    """
    found: dict[tuple[int, int], tuple[Context, SpanContext]] = {}
    for headers in carriers:
        context = extract(headers)
        if context is not None:
            span_context = trace.get_current_span(context).get_span_context()
            found.setdefault((span_context.trace_id, span_context.span_id), (context, span_context))
    parent, links = Context(), []
    if len(found) == 1:
        parent = next(iter(found.values()))[0]
    else:
        links = [Link(span_context) for _, span_context in found.values()]
    with TRACER.start_as_current_span(
        name, context=parent, kind=SpanKind.CONSUMER, links=links, attributes=attributes
    ) as span:
        yield span


def current_ids() -> tuple[str, str] | None:
    """(trace id, span id) in hex of the span current here, for log lines; None if none."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return trace.format_trace_id(span_context.trace_id), trace.format_span_id(span_context.span_id)
