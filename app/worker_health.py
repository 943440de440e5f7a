"""A worker's health port (WORKER_HEALTH_PORT): `/live`, `/ready` and `/metrics`.

An orchestrator restarts a worker whose event loop stalls (`/live`), holds back a
rollout until the new worker has joined its group and reaches its stores (`/ready`), and
Prometheus scrapes `/metrics`: the worker's counters (agents/metrics.py) and, read at
the scrape from the consumer itself, the lag of every partition it holds. With
METRICS_TOKEN set, `/metrics` asks for `Authorization: Bearer <token>` as the gateway's
does; the probes stay open (they say up or down, nothing else).
"""

from __future__ import annotations

import asyncio
import logging
import time

import faust
from aiohttp import web
from mode import Service
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Gauge, generate_latest

from core.settings import Settings
from gateway.metrics_server import token_matches
from stores.bundle import Stores

log = logging.getLogger(__name__)

LAG = Gauge(
    "rt_worker_consumer_lag",
    "Messages on a partition this worker holds that it has not yet processed",
    ["group", "topic", "partition"],
)
# What `/ready` answers, measured again at each scrape, so an alert can see a worker that
# stays unready (the orchestrator only takes it out of rotation; nothing else would tell).
READY = Gauge("rt_worker_ready", "1 when the worker's /ready would answer 200, else 0")
BEAT_SECONDS = 1.0
# A loop that has not run a 1 s heartbeat for this long is stuck (a handler blocking it).
STALLED_AFTER_SECONDS = 15.0
STORE_CHECK_SECONDS = 3.0


class WorkerHealth:
    """What the probes answer, kept apart from the server that serves them."""

    def __init__(self, app: faust.App, stores: Stores) -> None:
        self.app = app
        self.stores = stores
        self.beat = time.monotonic()

    async def heartbeat(self) -> None:
        while True:
            self.beat = time.monotonic()
            await asyncio.sleep(BEAT_SECONDS)

    def live(self) -> bool:
        return time.monotonic() - self.beat < STALLED_AFTER_SECONDS

    async def unready(self) -> list[str]:
        """Why the worker is not ready: empty when it is."""
        why = []
        if self.app.rebalancing:
            why.append("joining its consumer group")
        try:
            await asyncio.wait_for(self.stores.db.ping(), STORE_CHECK_SECONDS)
        except Exception:
            why.append("postgres unreachable")
        try:
            await asyncio.wait_for(self.stores.redis.ping(), STORE_CHECK_SECONDS)
        except Exception:
            why.append("redis unreachable")
        return why

    async def measure_lag(self) -> None:
        consumer = self.app.consumer
        group = self.app.conf.id
        LAG.clear()
        for tp in consumer.assignment():
            try:
                position = await consumer.position(tp)
                highwater = consumer.highwater(tp)
            except Exception:  # not fetched yet, or the assignment is moving
                continue
            if position is not None and highwater is not None:
                LAG.labels(group, tp.topic, str(tp.partition)).set(max(0, highwater - position))


def _routes(health: WorkerHealth, token: str) -> web.Application:
    async def live(_: web.Request) -> web.Response:
        return web.json_response(
            {"status": "up" if health.live() else "stalled"}, status=200 if health.live() else 503
        )

    async def ready(_: web.Request) -> web.Response:
        why = await health.unready()
        return web.json_response(
            {"status": "down" if why else "up", "reasons": why}, status=503 if why else 200
        )

    async def metrics(request: web.Request) -> web.Response:
        if token and not token_matches(request.headers.get("Authorization"), token):
            return web.Response(
                status=401,
                text="Send Authorization: Bearer <METRICS_TOKEN>.\n",
                headers={"WWW-Authenticate": "Bearer"},
            )
        await health.measure_lag()
        READY.set(0 if await health.unready() else 1)
        body = generate_latest(REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    api = web.Application()
    api.add_routes([web.get("/live", live), web.get("/ready", ready), web.get("/metrics", metrics)])
    return api


def serve_health(app: faust.App, settings: Settings, stores: Stores) -> None:
    """Start the health port with the worker (WORKER_HEALTH_PORT; 0: none)."""
    if not settings.worker_health_port:
        return
    health = WorkerHealth(app, stores)

    @app.service
    class HealthService(Service):
        runner: web.AppRunner | None = None

        async def on_start(self) -> None:
            self.add_future(health.heartbeat())
            self.runner = web.AppRunner(_routes(health, settings.metrics_token))
            await self.runner.setup()
            site = web.TCPSite(
                self.runner, settings.worker_health_host, settings.worker_health_port
            )
            await site.start()
            log.info(
                "health on http://%s:%s (/live, /ready, /metrics)",
                settings.worker_health_host,
                settings.worker_health_port,
            )

        async def on_stop(self) -> None:
            if self.runner is not None:
                await self.runner.cleanup()
