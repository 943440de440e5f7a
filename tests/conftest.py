"""Shared fixtures. Tests that need servers use the real local stack (deploy/local)."""

from __future__ import annotations

import asyncio
import os
import secrets

import pytest

# Tests get their own database, Redis db, index prefix and consumer group on the same
# servers `make dev` uses, so a developer's data and a test run never mix.
TEST_ENV = {
    "RT_ENV": "test",
    "POSTGRES_DB": os.environ.get("TEST_POSTGRES_DB", "refactortrack_test"),
    "MONGODB_DB": "refactortrack_test",
    "REDIS_DB": "1",
    "INDEX_PREFIX": "rt-test",
    "TOPIC_NAMESPACE": "rt-test",
    "WORKER_ID": "refactortrack-test",
    "WORKER_DATA_DIR": os.path.join(os.environ.get("TMPDIR", "/tmp"), "refactortrack-test-worker"),
    "COMMAND_WAIT_SECONDS": "10",
    "WORKER_SESSION_TIMEOUT_SECONDS": "10",
    "ANALYTICS_ALERT_CHECK_SECONDS": "1",
    # A secret of the run's own (the gateway refuses to start without a strong one).
    "JWT_SECRET": secrets.token_urlsafe(48),
    # Every test logs in from 127.0.0.1: failed logins of unrelated tests must not add up
    # to the address's back-off (tests/integration/test_login_throttle.py covers it).
    "LOGIN_FREE_FAILURES_PER_ADDRESS": "1000",
    "AUTH_RECHECK_SECONDS": "1",
    # Webhooks: the tests' receivers listen on 127.0.0.1, and nothing else may be a
    # target (schemathesis generates URLs: none of them is ever sent to); the retry
    # schedule shrunk from 27 hours to seconds (tests/e2e/test_webhooks.py).
    "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
    "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "WEBHOOK_RETRY_BASE_SECONDS": "0.3",
    "WEBHOOK_RETRY_CAP_SECONDS": "1.5",
    "WEBHOOK_RETRY_PERIOD_SECONDS": "8",
    "WEBHOOK_TIMEOUT_SECONDS": "3",
    "WEBHOOK_POLL_SECONDS": "0.2",
}
for _key, _value in TEST_ENV.items():
    os.environ.setdefault(_key, _value)


def pytest_collection_finish(session: pytest.Session) -> None:
    """A run with tests that use the stack starts from empty test stores, once."""
    if any(item.get_closest_marker("stack") for item in session.items):
        from core.settings import get_settings
        from tests.harness.scratch import empty_scratch_stores

        get_settings.cache_clear()
        asyncio.run(empty_scratch_stores(get_settings()))
