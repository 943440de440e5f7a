"""The trace context on Kafka messages, and the worker's span around the commands it applies."""

from __future__ import annotations

import io
import json
import logging

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from core import trace_context
from core.logging import JsonLines
from core.settings import Settings
from core.trace_context import consuming, extract, trace_headers

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> InMemorySpanExporter:
    # A provider of the test's own behind the module's tracer: the process's global
    # provider stays the API's no-op one for every other test.
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(trace_context, "TRACER", provider.get_tracer("test"))
    return exporter


def test_no_span_no_header() -> None:
    assert trace_headers() == []


def test_headers_round_trip(spans: InMemorySpanExporter) -> None:
    with trace_context.TRACER.start_as_current_span("publish") as span:
        headers = trace_headers()
    assert dict(headers)["traceparent"].decode().split("-")[2] == trace.format_span_id(
        span.get_span_context().span_id
    )
    context = extract([("command_type", b"candidate.create"), *headers])
    assert context is not None
    got, sent = trace.get_current_span(context).get_span_context(), span.get_span_context()
    assert (got.trace_id, got.span_id, got.is_remote) == (sent.trace_id, sent.span_id, True)


@pytest.mark.parametrize(
    "headers", [None, [], [("traceparent", b"garbage")], [("other", b"x")], {"x": b"y"}]
)
def test_no_context_is_none(headers: object) -> None:
    assert extract(headers) is None  # type: ignore[arg-type]


def test_one_message_is_the_parent(spans: InMemorySpanExporter) -> None:
    with consuming("apply candidate.create", [[("traceparent", PARENT.encode())]]):
        pass
    (span,) = spans.get_finished_spans()
    assert span.kind is SpanKind.CONSUMER
    assert span.parent is not None
    assert span.parent.span_id == 0x00F067AA0BA902B7
    assert trace.format_trace_id(span.context.trace_id) == TRACE_ID
    assert not span.links


def test_a_set_links_every_message(spans: InMemorySpanExporter) -> None:
    others = [f"00-{i:032x}-{i:016x}-01" for i in (1, 2)]
    carriers = [[("traceparent", p.encode())] for p in [PARENT, *others, PARENT]] + [[]]
    with (
        trace_context.TRACER.start_as_current_span("unrelated"),
        consuming("apply set", carriers),
    ):
        pass
    span = next(s for s in spans.get_finished_spans() if s.name == "apply set")
    # A root of its own (not the ambient span's child), one link per producer span.
    assert span.parent is None
    assert sorted(link.context.span_id for link in span.links) == [1, 2, 0x00F067AA0BA902B7]


def test_json_lines_name_the_trace(spans: InMemorySpanExporter) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    logger = logging.getLogger("test.trace_context")
    logger.addHandler(handler)
    try:
        logger.warning("outside")
        with consuming("apply", [[("traceparent", PARENT.encode())]]) as span:
            logger.warning("inside")
    finally:
        logger.removeHandler(handler)
    outside, inside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert "trace_id" not in outside
    assert inside["trace_id"] == TRACE_ID
    assert inside["span_id"] == trace.format_span_id(span.get_span_context().span_id)


def test_tracing_is_off_without_an_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    assert Settings(_env_file=None).traces_endpoint is None  # type: ignore[call-arg]
    on = Settings(OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4318/")  # type: ignore[call-arg]
    assert on.traces_endpoint == "http://collector:4318/v1/traces"
    own = Settings(  # type: ignore[call-arg]
        OTEL_EXPORTER_OTLP_ENDPOINT="http://a:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://b/t"
    )
    assert own.traces_endpoint == "http://b/t"
    off = Settings(  # type: ignore[call-arg]
        OTEL_EXPORTER_OTLP_ENDPOINT="http://a:4318", OTEL_SDK_DISABLED="true"
    )
    assert off.traces_endpoint is None
