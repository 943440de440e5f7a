"""The workers' consumer asks the broker to hold a fetch at most KAFKA_FETCH_MAX_WAIT_MS,
not the 1.5 s Faust fixes (stores/kafka_transport.py)."""

from __future__ import annotations

from pathlib import Path

from app.faust_app import create_faust_app
from app.worker import fetch_policy, producer_linger_ms
from core.settings import Settings


async def test_the_workers_fetch_waits_at_most_the_setting(tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        KAFKA_FETCH_MAX_WAIT_MS=40, WORKER_DATA_DIR=str(tmp_path)
    )
    app = create_faust_app(settings, app_id="fetch-wait-test")
    # Made as the worker makes it when it starts; nothing connects until then.
    consumer = app.consumer._thread._create_worker_consumer(app.transport)
    assert consumer._fetch_max_wait_ms == 40


def test_the_default_is_well_under_fausts_fixed_wait() -> None:
    assert Settings(_env_file=None).kafka_fetch_max_wait_ms <= 100  # type: ignore[call-arg]


def test_only_the_analytics_worker_lingers(tmp_path: Path) -> None:
    """The analytics worker's producer waits ANALYTICS_PRODUCER_LINGER_MS for company;
    the command and follower workers send at once (the interactive path)."""
    lingers = {}
    for agents in ("analytics", "commands", "followers", "all"):
        settings = Settings(  # type: ignore[call-arg]
            ANALYTICS_PRODUCER_LINGER_MS=7, WORKER_AGENTS=agents, WORKER_DATA_DIR=str(tmp_path)
        )
        app = create_faust_app(settings, app_id=agents, linger_ms=producer_linger_ms(settings))
        lingers[agents] = app.conf.producer_linger
    assert lingers == {"analytics": 0.007, "commands": 0.0, "followers": 0.0, "all": 0.0}


async def test_only_the_analytics_worker_gathers_its_fetches(tmp_path: Path) -> None:
    """The analytics worker's fetch asks for ANALYTICS_FETCH_MIN_BYTES, waiting
    ANALYTICS_FETCH_MAX_WAIT_MS at most; the others ask for any data, at once."""
    asked = {}
    for agents in ("analytics", "commands", "followers", "all"):
        settings = Settings(  # type: ignore[call-arg]
            ANALYTICS_FETCH_MIN_BYTES=4096,
            ANALYTICS_FETCH_MAX_WAIT_MS=250,
            KAFKA_FETCH_MAX_WAIT_MS=40,
            WORKER_AGENTS=agents,
            WORKER_DATA_DIR=str(tmp_path),
        )
        app = create_faust_app(settings, app_id=agents, fetch=fetch_policy(settings))
        consumer = app.consumer._thread._create_worker_consumer(app.transport)
        asked[agents] = (consumer._fetch_min_bytes, consumer._fetch_max_wait_ms)
    assert asked == {
        "analytics": (4096, 250),
        "commands": (1, 40),
        "followers": (1, 40),
        "all": (1, 40),
    }
