"""How each store's client reaches its server: TLS and credentials from the settings.

One place per store, so the adapters, the migrations, the test harness and the
benchmarks connect the same way.
"""

from __future__ import annotations

import ssl
from typing import Any

from core.settings import Settings


def postgres_ssl(settings: Settings) -> str | ssl.SSLContext:
    """asyncpg's `ssl` argument for POSTGRES_SSLMODE (and POSTGRES_SSLROOTCERT)."""
    mode = settings.postgres_sslmode
    if mode in ("disable", "prefer", "require"):
        return mode
    context = ssl.create_default_context(cafile=settings.postgres_sslrootcert)
    context.check_hostname = mode == "verify-full"
    return context


def postgres_connect_args(settings: Settings) -> dict[str, Any]:
    return {"ssl": postgres_ssl(settings)}


def redis_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for redis-py's `from_url` beside REDIS_URL's own login and scheme."""
    if settings.redis_tls and settings.redis_ca_file:
        return {"ssl_ca_certs": settings.redis_ca_file}
    return {}


def opensearch_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for an OpenSearch client of the node at OPENSEARCH_URL."""
    options: dict[str, Any] = {"hosts": [settings.opensearch_url]}
    if settings.opensearch_username and settings.opensearch_password:
        options["http_auth"] = (settings.opensearch_username, settings.opensearch_password)
    if settings.opensearch_url.startswith("https://"):
        options["use_ssl"] = True
        options["verify_certs"] = settings.opensearch_verify_certs
        if settings.opensearch_ca_file:
            options["ca_certs"] = settings.opensearch_ca_file
        if not settings.opensearch_verify_certs:
            options["ssl_show_warn"] = False
    return options
