"""The gateway's long-lived clients, created in the app's lifespan, never at import."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from core.settings import Settings
from gateway.analytics_hub import AnalyticsHub
from gateway.auth import AccessTokens
from gateway.commands import CommandBus
from gateway.identity import Identities
from gateway.login_throttle import LoginThrottle
from gateway.outcomes import OutcomeWaiter
from stores.bundle import Stores
from stores.kafka import CommandPublisher
from stores.rate_limits import RateLimits


@dataclass
class GatewayState:
    settings: Settings
    stores: Stores
    publisher: CommandPublisher
    waiter: OutcomeWaiter
    bus: CommandBus
    analytics_hub: AnalyticsHub
    identities: Identities
    login_throttle: LoginThrottle
    rate_limits: RateLimits
    tokens: AccessTokens

    async def start(self) -> None:
        await self.stores.start()
        await self.rate_limits.start()
        await self.waiter.start()
        # The broker may come up after the gateway: /ready reports it, and the first
        # command connects.
        with contextlib.suppress(Exception):
            await self.publisher.start()

    async def stop(self) -> None:
        await self.publisher.stop()
        await self.waiter.stop()
        await self.analytics_hub.stop()
        await self.rate_limits.stop()
        await self.stores.stop()
