"""Every store's client is told how to log in and whether to speak TLS by the settings."""

from __future__ import annotations

import ssl

import pytest
from sqlalchemy.exc import DBAPIError

from core.errors import StoreUnavailable
from core.settings import Settings
from stores.connections import opensearch_options, postgres_ssl, redis_options
from stores.postgres.database import unreachable


def _settings(**values: object) -> Settings:
    # The test run's own Redis db and URLs are in the environment: name every value here.
    return Settings.model_validate(
        {"REDIS_DB": 0, "OPENSEARCH_URL": "http://127.0.0.1:9200", **values}
    )


def test_redis_logs_in_and_speaks_tls_when_told() -> None:
    assert _settings().redis_url == "redis://127.0.0.1:6379/0"
    secured = _settings(
        REDIS_TLS=True,
        REDIS_USERNAME="rt",
        REDIS_PASSWORD="p@ss/word",
        REDIS_CA_FILE="/etc/ca.pem",
    )
    assert secured.redis_url == "rediss://rt:p%40ss%2Fword@127.0.0.1:6379/0"
    assert redis_options(secured) == {"ssl_ca_certs": "/etc/ca.pem"}
    # A password alone logs in as the default user.
    assert _settings(REDIS_PASSWORD="x").redis_url == "redis://:x@127.0.0.1:6379/0"


def test_postgres_ssl_follows_libpq_modes() -> None:
    assert postgres_ssl(_settings(POSTGRES_SSLMODE="require")) == "require"
    verified = postgres_ssl(_settings(POSTGRES_SSLMODE="verify-full"))
    assert isinstance(verified, ssl.SSLContext)
    assert verified.check_hostname
    assert verified.verify_mode == ssl.CERT_REQUIRED
    ca_only = postgres_ssl(_settings(POSTGRES_SSLMODE="verify-ca"))
    assert isinstance(ca_only, ssl.SSLContext)
    assert not ca_only.check_hostname


def test_opensearch_logs_in_over_https_when_told() -> None:
    assert opensearch_options(_settings()) == {"hosts": ["http://127.0.0.1:9200"]}
    secured = opensearch_options(
        _settings(
            OPENSEARCH_URL="https://search:9200",
            OPENSEARCH_USERNAME="rt",
            OPENSEARCH_PASSWORD="secret",
            OPENSEARCH_CA_FILE="/etc/ca.pem",
        )
    )
    assert secured["http_auth"] == ("rt", "secret")
    assert secured["use_ssl"]
    assert secured["verify_certs"]
    assert secured["ca_certs"] == "/etc/ca.pem"


def test_a_connection_the_server_dropped_is_postgres_unavailable() -> None:
    """A server shutting down ends sessions mid-statement; that is the store away, a 503."""
    dropped = DBAPIError("SELECT 1", None, Exception("terminating connection"))
    dropped.connection_invalidated = True
    with pytest.raises(StoreUnavailable), unreachable():
        raise dropped
    starting = DBAPIError("SELECT 1", None, Exception("the database system is starting up"))
    starting.orig.sqlstate = "57P03"  # type: ignore[union-attr]
    with pytest.raises(StoreUnavailable), unreachable():
        raise starting
    other = DBAPIError("SELECT 1", None, Exception("division by zero"))
    with pytest.raises(DBAPIError), unreachable():
        raise other
