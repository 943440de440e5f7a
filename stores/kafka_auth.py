"""How our Kafka clients log in: one principal per kind of process (docs/kafka.md).

Every producer, consumer and admin client of ours is built with `client_options`, so
none can reach the broker without authenticating. The caller picks the principal (the
composition root decides which process is which); its password comes from the settings.
"""

from __future__ import annotations

import ssl
from typing import Any

from aiokafka.helpers import create_ssl_context

from core.settings import KafkaLogin, Settings


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context for SASL_SSL (the broker checked against KAFKA_SSL_CAFILE), else None."""
    if settings.kafka_security_protocol != "SASL_SSL":
        return None
    context: ssl.SSLContext = create_ssl_context(cafile=settings.kafka_ssl_cafile)
    return context


def client_options(settings: Settings, login: KafkaLogin) -> dict[str, Any]:
    """Keyword arguments for an aiokafka producer, consumer or admin client logging in as
    `login`, with the bootstrap servers."""
    return {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
        "sasl_mechanism": settings.kafka_sasl_mechanism,
        "sasl_plain_username": login.username,
        "sasl_plain_password": login.password.get_secret_value(),
        "ssl_context": ssl_context(settings),
    }
