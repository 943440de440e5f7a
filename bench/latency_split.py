"""The notify and consume stages of `bench --latency-only`, split further.

The gateway stage splits by the write's `Server-Timing` too (`gateway_parts`).

Notify (the event sent → the client has its 201) splits by the write's `Server-Timing`
(gateway/server_timing.py: durations on the gateway's clock, counted from the request's
arrival) against the timestamps the bench already reads:

- `announce`: the event sent → the outcome reached the gateway: the worker recording the
  outcome in Redis, pub/sub, the gateway's listener. The outcome reached the gateway at
  `wait` after the broker's acknowledgement, taken here as the command's append time (the
  acknowledgement's own trip, a millisecond or two, falls into `client`);
- `wake`, `read`: the gateway's event loop resuming the request, the read back;
  (`read-record`: the Postgres row, opened; `read-profile`: the MongoDB profile);
- `respond`: what is left of the gateway's `total` (the answer built);
- `client`: the rest: the answer's way out through uvicorn to the load generator and
  its own event loop.

Consume and the worker's share of apply and notify come from the command worker's
`rt_worker_command_stage_seconds` histogram (agents/metrics.py), read from its `/metrics`
before and after a run: the mean of each stage over the run. Its `transaction` splits by
`rt_worker_step_seconds` (the steps `agents.metrics.timed` counts), read the same way and
named `step: …`.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp

NOTIFY_PARTS = ("announce", "wake", "read", "respond", "client", "read-record", "read-profile")
GATEWAY_PARTS = ("arrive", "auth", "seal", "publish")
WORKER_STAGES = ("taken", "opened", "transaction", "outcomes", "settled")

_SAMPLE = re.compile(
    r'^rt_worker_(command_stage|step)_seconds_(sum|count)\{(?:stage|step)="([^"]+)"\} (\S+)$'
)


def server_timing(header: str | None) -> dict[str, float]:
    """`name;dur=ms, …` as {name: ms}."""
    out: dict[str, float] = {}
    for part in (header or "").split(","):
        name, _, rest = part.strip().partition(";")
        for param in rest.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "dur" and name:
                out[name] = float(value)
    return out


def gateway_parts(timing: dict[str, float], sent: float, appended: float) -> dict[str, float]:
    """The gateway stage of one create in parts (ms); empty without the parts' timings.

    - `arrive`: the client sent → the gateway took the request (the load generator's loop,
      the socket, uvicorn; the stage less the gateway's own `send`, so it also holds the
      little between the broker's append and its acknowledgement reaching the gateway);
    - `auth`: the request's admission, auth, body validation and the outcome key in Redis
      (`send` less the two parts below);
    - `seal`: the person's key made and the command sealed (`send-seal`);
    - `publish`: the produce until the broker acknowledged it (`send-publish`).
    """
    if not all(k in timing for k in ("send", "send-seal", "send-publish")):
        return {}
    return {
        "arrive": (appended - sent) * 1000 - timing["send"],
        "auth": timing["send"] - timing["send-seal"] - timing["send-publish"],
        "seal": timing["send-seal"],
        "publish": timing["send-publish"],
    }


def notify_parts(
    timing: dict[str, float], appended: float, emitted: float, answered: float
) -> dict[str, float]:
    """The notify stage of one create in parts (ms); empty without a full Server-Timing."""
    if not all(k in timing for k in ("send", "wait", "wake", "total")):
        return {}
    reached = appended * 1000 + timing["wait"]
    read = timing.get("read", 0.0)
    respond = timing["total"] - timing["send"] - timing["wait"] - timing["wake"] - read
    announce = reached - emitted * 1000
    notify = (answered - emitted) * 1000
    return {
        **{k: timing[k] for k in ("read-record", "read-profile") if k in timing},
        "announce": announce,
        "wake": timing["wake"],
        "read": read,
        "respond": respond,
        "client": notify - announce - timing["wake"] - read - respond,
    }


async def worker_stages(health_url: str | None, token: str = "") -> dict[str, list[float]]:
    """The worker's stage and step histograms now: {stage or "step: " + step: [sum seconds,
    count]}."""
    if health_url is None:
        return {}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{health_url}/metrics", headers=headers) as r,
        ):
            text = await r.text()
    except aiohttp.ClientError:
        return {}
    out: dict[str, list[float]] = {}
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if m:
            metric, kind, name, value = m.groups()
            name = name if metric == "command_stage" else f"step: {name}"
            out.setdefault(name, [0.0, 0.0])[0 if kind == "sum" else 1] = float(value)
    return out


def stage_means(before: dict[str, list[float]], after: dict[str, list[float]]) -> dict[str, Any]:
    """Mean ms of each worker stage between two readings, and how many observations."""
    out: dict[str, Any] = {}
    steps = sorted(name for name in after if name.startswith("step: "))
    for stage in [*WORKER_STAGES, *steps]:
        s1, c1 = after.get(stage, [0.0, 0.0])
        s0, c0 = before.get(stage, [0.0, 0.0])
        if c1 > c0:
            out[stage] = {"mean_ms": (s1 - s0) * 1000 / (c1 - c0), "n": int(c1 - c0)}
    return out
