"""One trace from the HTTP request, through the command's Kafka headers, to the worker.

A gateway and a worker of this test's own (own topics and consumer group) export their
spans over OTLP/HTTP to a receiver the test runs; the request carries a `traceparent` the
test chose. The gateway's spans and the worker's must share its trace id, the worker's
apply span must be the child of the gateway's publish span, its store calls its children,
and the event it emits must carry its context.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from app.jobs.accounts import create_user
from core.settings import Settings, get_settings
from stores.postgres.migrate import upgrade
from tests.e2e.conftest import LOG_DIR, PASSWORD, ROOT, login
from tests.e2e.helpers import candidate_body, eventually, tail_topic
from tests.harness.processes import free_port, spawn, stop, wait_for
from tests.support import ensure_database, own_namespace
from topics.names import CANDIDATE_EVENTS

pytestmark = pytest.mark.stack

TRACE_ID = uuid.uuid4().hex
CALLER_SPAN = uuid.uuid4().hex[:16]


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_span_id: str
    links: list[tuple[str, str]]
    attributes: dict[str, Any]


@dataclass
class Receiver:
    """An OTLP/HTTP trace receiver: keeps every span the processes export."""

    url: str
    spans: list[Span] = field(default_factory=list)

    def of_trace(self, trace_id: str) -> list[Span]:
        return [s for s in list(self.spans) if s.trace_id == trace_id]


def _value(any_value: Any) -> Any:
    return (
        getattr(any_value, any_value.WhichOneof("value")) if any_value.WhichOneof("value") else None
    )


def _decode(body: bytes) -> list[Span]:
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    spans: list[Span] = []
    for resource_spans in request.resource_spans:
        resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(
                    Span(
                        service=str(resource.get("service.name")),
                        name=span.name,
                        kind=span.kind,
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex(),
                        links=[(link.trace_id.hex(), link.span_id.hex()) for link in span.links],
                        attributes={a.key: _value(a.value) for a in span.attributes},
                    )
                )
    return spans


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    port = free_port()
    made = Receiver(f"http://127.0.0.1:{port}")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            if self.path == "/v1/traces":
                made.spans.extend(_decode(body))
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield made
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class Traced:
    base_url: str
    settings: Settings


@pytest.fixture(scope="module")
async def traced(receiver: Receiver) -> AsyncIterator[Traced]:
    """A gateway and a domain worker of their own, exporting spans to `receiver`."""
    get_settings.cache_clear()
    settings = get_settings()
    await ensure_database(settings)
    await asyncio.to_thread(upgrade, settings)
    async with own_namespace(settings, "rt-trace") as own:
        data_dir = Path(f"{settings.worker_data_dir}-{own.topic_namespace}")
        env = {
            **os.environ,
            "TOPIC_NAMESPACE": own.topic_namespace,
            "WORKER_ID": own.worker_id,
            "WORKER_DATA_DIR": str(data_dir),
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
            # Export within a tenth of a second, not the default five.
            "OTEL_BSP_SCHEDULE_DELAY": "100",
        }
        env.pop("OTEL_SERVICE_NAME", None)
        env.pop("OTEL_SDK_DISABLED", None)
        logs = LOG_DIR / "tracing"
        worker_log, gateway_log = logs / "worker.log", logs / "gateway.log"
        worker = spawn(
            ["worker", "--agents", "domain", "--loglevel", "info"], env, worker_log, ROOT
        )
        port = free_port()
        gateway = spawn(["gateway", "--port", str(port)], env, gateway_log, ROOT)
        base_url = f"http://127.0.0.1:{port}"
        try:
            await asyncio.to_thread(_wait_until_up, base_url, gateway_log, worker_log)
            yield Traced(base_url, own)
        finally:
            stop(gateway)
            stop(worker)
            shutil.rmtree(data_dir, ignore_errors=True)


def _wait_until_up(base_url: str, gateway_log: Path, worker_log: Path) -> None:
    def gateway_ready() -> bool:
        try:
            return httpx.get(f"{base_url}/ready", timeout=3).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(gateway_ready, "the gateway", gateway_log, 90)
    wait_for(lambda: b"Ready" in worker_log.read_bytes(), "the worker", worker_log, 120)


def _ancestors(span: Span, spans: list[Span]) -> list[str]:
    by_id = {s.span_id: s for s in spans}
    found: list[str] = []
    while span.parent_span_id and span.parent_span_id not in found:
        found.append(span.parent_span_id)
        if span.parent_span_id not in by_id:
            break
        span = by_id[span.parent_span_id]
    return found


async def test_one_trace_spans_gateway_and_worker(traced: Traced, receiver: Receiver) -> None:
    slug = f"t-{uuid.uuid4().hex[:12]}"
    username = f"recruiter-{slug}"
    await create_user(
        traced.settings, tenant=slug, username=username, password=PASSWORD, role="recruiter"
    )
    token = await login(traced.base_url, username)
    events = await tail_topic(
        traced.settings, CANDIDATE_EVENTS.name(traced.settings.topic_namespace)
    )
    try:
        async with httpx.AsyncClient(base_url=traced.base_url, timeout=30) as client:
            response = await client.post(
                "/api/v1/candidates",
                json=candidate_body(),
                headers={
                    "Authorization": f"Bearer {token}",
                    "traceparent": f"00-{TRACE_ID}-{CALLER_SPAN}-01",
                },
            )
        assert response.status_code == 201, response.text
        candidate_id = response.json()["id"]

        async def emitted() -> Any:
            batches = await events.getmany(timeout_ms=500)
            found = [m for ms in batches.values() for m in ms if m.key == candidate_id.encode()]
            return found[0] if found else None

        event = await eventually(emitted, timeout=20, what="the candidate.created event")
    finally:
        await events.stop()

    def spans_of(service: str) -> list[Span]:
        return [s for s in receiver.of_trace(TRACE_ID) if s.service == service]

    def complete() -> bool:
        gateway, worker = spans_of("refactortrack-gateway"), spans_of("refactortrack-worker")
        return (
            any(s.name == "publish candidate.create" for s in gateway)
            and any(s.parent_span_id == CALLER_SPAN for s in gateway)
            and any(s.name == "apply candidate.create" for s in worker)
            and any(s.parent_span_id and s.name != "apply candidate.create" for s in worker)
        )

    async def arrived() -> bool:
        return complete()

    await eventually(arrived, timeout=20, what="the gateway's and the worker's spans")
    gateway, worker = spans_of("refactortrack-gateway"), spans_of("refactortrack-worker")
    tree = "\n".join(
        f"{s.service} {s.name} {s.span_id} <- {s.parent_span_id} {s.links}"
        for s in receiver.of_trace(TRACE_ID)
    )

    # The gateway's request span continues the caller's trace, and is the publish span's parent.
    (server,) = [s for s in gateway if s.parent_span_id == CALLER_SPAN]
    assert server.name.startswith("POST /api/v1/candidates")
    (publish,) = [s for s in gateway if s.name == "publish candidate.create"]
    # (FastAPI's instrumentation puts a span for the endpoint function in between.)
    assert server.span_id in _ancestors(publish, gateway), tree
    assert publish.attributes["messaging.destination.name"].endswith(".candidates.commands")
    # Probes are not traced (the fixture asked /ready until the gateway was up).
    assert not [s for s in receiver.spans if "/ready" in s.name]
    # Its store calls (the idempotency/outcome keys in Redis) are in the trace too.
    assert any(s.attributes.get("db.system") == "redis" for s in gateway)

    # The worker's span that applied the command is the publish span's child...
    (apply,) = [s for s in worker if s.name == "apply candidate.create"]
    assert apply.parent_span_id == publish.span_id, tree
    assert (
        apply.attributes["refactortrack.command_id"]
        == publish.attributes["refactortrack.command_id"]
    )
    # ...its Postgres and MongoDB calls are its children...
    children = [s for s in worker if s.parent_span_id == apply.span_id]
    systems = {
        s.attributes.get("db.system") or s.attributes.get("db.system.name") for s in children
    }
    assert {"postgresql", "mongodb"} <= systems, systems
    # ...and the event it emitted carries its context.
    headers = {name: value.decode() for name, value in event.headers}
    assert headers["traceparent"].split("-")[1:3] == [TRACE_ID, apply.span_id]
