"""The gateway's composition root: `uvicorn app.gateway:create_app --factory`.

Builds the adapters the REST API talks to (the stores, the command producer, the outcome
waiter) and hands them to `gateway.app.build_api`; they open their connections in the
app's lifespan, never here.
"""

from __future__ import annotations

from fastapi import FastAPI

from app.tracing import trace_process
from core.logging import configure_logging
from core.settings import Settings, get_settings
from gateway.analytics_hub import AnalyticsHub
from gateway.app import build_api
from gateway.auth import AccessTokens, check_secret
from gateway.commands import CommandBus
from gateway.identity import Identities
from gateway.login_throttle import LoginThrottle
from gateway.outcomes import OutcomeWaiter
from gateway.state import GatewayState
from stores.bundle import Stores
from stores.kafka import CommandPublisher
from stores.rate_limits import RateLimits


def build_state(settings: Settings) -> GatewayState:
    stores = Stores(settings)
    # The gateway logs in to Kafka as its own principal: it may only write commands.
    publisher = CommandPublisher(settings, settings.kafka_login("gateway"))
    waiter = OutcomeWaiter(stores.redis)
    bus = CommandBus(
        publisher,
        stores.redis,
        stores.sealer,
        waiter,
        wait_seconds=settings.command_wait_seconds,
        namespace=settings.topic_namespace,
        publish_seconds=settings.command_publish_seconds,
    )
    return GatewayState(
        settings,
        stores,
        publisher,
        waiter,
        bus,
        AnalyticsHub(stores.redis),
        Identities(stores, settings.auth_recheck_seconds),
        LoginThrottle(stores.redis, settings),
        RateLimits(settings),
        AccessTokens(settings),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_format)
    check_secret(settings)
    # Before the state: the drivers are wrapped before any client of theirs exists.
    trace_process(settings, "gateway")
    return build_api(settings, build_state(settings))
