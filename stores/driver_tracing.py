"""Spans for every call to Postgres, Redis and MongoDB, from the maintained instrumentations.

Each wraps its driver process-wide (asyncpg's connection and prepared-statement methods,
which SQLAlchemy's asyncpg dialect calls; redis-py's clients; PyMongo's command monitoring,
which the async client shares), so a store call becomes a child of whatever span is
current: the request's in the gateway, the command set's in a worker. OpenSearch has no
maintained instrumentation for opensearch-py; its calls show as the gap they leave.

Called by app/ at process start, and only when tracing is on (core/tracing.py): off, the
drivers stay unwrapped and pay nothing.
"""

from __future__ import annotations

from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.pymongo import PymongoInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor


def trace_drivers() -> None:
    """Wrap the drivers (idempotent: an instrumentor wraps once per process).

    Statements are recorded without their parameters: those hold personal data.
    PyMongo's listener applies to the clients made after this call, hence at start.
    """
    # Its constructor lacks annotations (the instrumentors are singletons: one object).
    asyncpg = AsyncPGInstrumentor(capture_parameters=False)  # type: ignore[no-untyped-call]
    if not asyncpg.is_instrumented_by_opentelemetry:
        asyncpg.instrument()
    if not RedisInstrumentor().is_instrumented_by_opentelemetry:
        RedisInstrumentor().instrument()
    if not PymongoInstrumentor().is_instrumented_by_opentelemetry:
        PymongoInstrumentor().instrument()
