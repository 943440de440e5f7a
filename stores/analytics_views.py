"""Live analytics in Redis: the views the worker computes, the alerts, the limits.

Per agency: a hash of views (`slice|<kind>|<value>` for each slice of the funnel and its
metrics, `leaderboard`, `sources`), a hash of raised alerts, a hash of the agency's own
service-level limits, and a pub/sub channel announcing which views changed. The worker
writes views whole (a rewrite is harmless), the gateway only reads them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from stores.redis import RedisStore, unreachable

LIMIT_FIELDS = ("client_review_hours", "hot_quiet_hours")


def views_key(tenant_id: str) -> str:
    return f"rt:analytics:{tenant_id}:views"


def alerts_key(tenant_id: str) -> str:
    return f"rt:analytics:{tenant_id}:alerts"


def limits_key(tenant_id: str) -> str:
    return f"rt:analytics:{tenant_id}:limits"


def changes_channel(tenant_id: str) -> str:
    return f"rt:analytics:{tenant_id}:changes"


# Every agency's channel, for one subscription per gateway process.
CHANGES_PATTERN = "rt:analytics:*:changes"


def tenant_of_channel(channel: str) -> str:
    return channel.split(":")[2]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def slice_field(kind: str, value: str) -> str:
    return "slice|all" if kind == "all" else f"slice|{kind}|{value}"


@unreachable
async def write_views(
    redis: RedisStore, tenant_id: str, views: Mapping[str, Any], *, at: str
) -> None:
    """Store changed views and tell listeners which ones changed."""
    if not views:
        return
    async with redis.client.pipeline(transaction=True) as pipe:
        pipe.hset(views_key(tenant_id), mapping={k: json.dumps(v) for k, v in views.items()})
        pipe.publish(changes_channel(tenant_id), json.dumps({"changed": sorted(views), "at": at}))
        await pipe.execute()


@unreachable
async def read_view(redis: RedisStore, tenant_id: str, field: str) -> Any | None:
    raw = await redis.client.hget(views_key(tenant_id), field)
    return json.loads(raw) if raw is not None else None


@unreachable
async def read_views_and_alerts(
    redis: RedisStore, tenant_id: str, fields: list[str]
) -> tuple[dict[str, Any | None], dict[str, dict[str, Any]]]:
    """Several views and the raised alerts in one round trip (a stream's every update)."""
    async with redis.client.pipeline(transaction=False) as pipe:
        pipe.hmget(views_key(tenant_id), fields)
        pipe.hgetall(alerts_key(tenant_id))
        found, alerts = await pipe.execute()
    return (
        {
            f: json.loads(raw) if raw is not None else None
            for f, raw in zip(fields, found, strict=True)
        },
        {_text(k): json.loads(v) for k, v in alerts.items()},
    )


@unreachable
async def read_alerts(redis: RedisStore, tenant_id: str) -> dict[str, dict[str, Any]]:
    """The agency's raised alerts, by id."""
    raw = await redis.client.hgetall(alerts_key(tenant_id))
    return {_text(k): json.loads(v) for k, v in raw.items()}


@unreachable
async def keep_alert(redis: RedisStore, tenant_id: str, alert: dict[str, Any]) -> None:
    async with redis.client.pipeline(transaction=True) as pipe:
        pipe.hset(alerts_key(tenant_id), str(alert["id"]), json.dumps(alert))
        pipe.publish(changes_channel(tenant_id), json.dumps({"changed": ["alerts"]}))
        await pipe.execute()


@unreachable
async def drop_alert(redis: RedisStore, tenant_id: str, alert_id: str) -> None:
    async with redis.client.pipeline(transaction=True) as pipe:
        pipe.hdel(alerts_key(tenant_id), alert_id)
        pipe.publish(changes_channel(tenant_id), json.dumps({"changed": ["alerts"]}))
        await pipe.execute()


@unreachable
async def read_limits(redis: RedisStore, tenant_id: str) -> dict[str, float]:
    raw = await redis.client.hgetall(limits_key(tenant_id))
    return {_text(k): float(v) for k, v in raw.items() if _text(k) in LIMIT_FIELDS}


@unreachable
async def write_limits(redis: RedisStore, tenant_id: str, limits: Mapping[str, float]) -> None:
    if limits:
        await redis.client.hset(
            limits_key(tenant_id), mapping={k: str(v) for k, v in limits.items()}
        )
