"""The Faust app factory. Agents register on the app this returns."""

from __future__ import annotations

import os

import faust

from core.settings import KafkaLogin, Settings
from stores.kafka_auth import ssl_context
from stores.kafka_transport import FetchPolicy, WorkerApp


def broker_credentials(settings: Settings, login: KafkaLogin) -> faust.SASLCredentials:
    """Faust's form of the login: SASL_SSL when given a TLS context, else SASL_PLAINTEXT."""
    return faust.SASLCredentials(
        username=login.username,
        password=login.password.get_secret_value(),
        mechanism=settings.kafka_sasl_mechanism,
        ssl_context=ssl_context(settings),
    )


def analytics_fetch(settings: Settings) -> FetchPolicy:
    """What the analytics worker's fetch gathers (ANALYTICS_FETCH_MIN_BYTES, waiting
    ANALYTICS_FETCH_MAX_WAIT_MS at most): nobody waits on it event by event."""
    return FetchPolicy(
        min_bytes=settings.analytics_fetch_min_bytes,
        max_wait_ms=settings.analytics_fetch_max_wait_ms,
    )


def create_faust_app(
    settings: Settings,
    *,
    app_id: str | None = None,
    login: KafkaLogin | None = None,
    linger_ms: int = 0,
    fetch: FetchPolicy | None = None,
) -> faust.App:
    """The worker's app, logged in as the worker principal unless `login` names another
    (the no-op benchmark's agent, on a topic outside the worker's ACLs). Its producer
    sends at once unless `linger_ms` says to wait for more, and its consumer asks for any
    data at once, waiting KAFKA_FETCH_MAX_WAIT_MS at most, unless `fetch` says otherwise
    (both: the analytics worker)."""
    fetch = fetch or FetchPolicy(min_bytes=1, max_wait_ms=settings.kafka_fetch_max_wait_ms)
    app_id = app_id or settings.worker_id
    # One directory per app: the analytics tables' RocksDB files are named by table, so
    # two apps (the test harness's, a benchmark's) in one WORKER_DATA_DIR would otherwise
    # open, and lock, the same files. Faust does not make it.
    datadir = os.path.join(settings.worker_data_dir, app_id)
    os.makedirs(datadir, exist_ok=True)
    return WorkerApp(
        app_id,
        fetch=fetch,
        broker=settings.kafka_broker_url,
        broker_credentials=broker_credentials(settings, login or settings.kafka_login("worker")),
        # Commands and events are JSON bytes we parse ourselves, so a bad message
        # reaches our code (and the DLQ) instead of failing inside the codec.
        key_serializer="raw",
        value_serializer="raw",
        store="memory://",
        datadir=datadir,
        topic_partitions=settings.kafka_partitions,
        topic_replication_factor=settings.kafka_replication_factor,
        web_enabled=False,
        producer_acks=-1,
        producer_linger_ms=linger_ms,
        stream_wait_empty=False,
        stream_buffer_maxsize=settings.worker_stream_buffer,
        broker_commit_every=100,
        broker_commit_interval=0.5,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=settings.worker_session_timeout_seconds,
        broker_heartbeat_interval=min(3.0, settings.worker_session_timeout_seconds / 3),
    )
