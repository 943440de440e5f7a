"""Baseline: a Faust agent that does nothing but count, on the same broker and partitions.

Run as `python -m bench.noop_worker TOPIC COUNT OUT`; writes its rate as JSON to OUT
(Faust takes over stdout for its logging).
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from pathlib import Path

import faust

from app.event_loop import use_worker_loop
from app.faust_app import create_faust_app
from core.settings import get_settings


def main() -> None:
    topic_name, expected, out = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    settings = get_settings()
    use_worker_loop(settings)  # the same loop as the workers it is the baseline for
    # Its topic and group lie outside the worker's ACLs: the benchmark's agent logs in
    # as the admin, which costs the same per message as the worker's login.
    app: faust.App = create_faust_app(
        settings,
        app_id=f"rt-bench-noop-{uuid.uuid4().hex[:8]}",
        login=settings.kafka_login("admin"),
    )
    topic = app.topic(topic_name)
    seen = 0
    started = 0.0

    @app.agent(topic)
    async def count(stream: faust.StreamT[bytes]) -> None:
        nonlocal seen, started
        async for _ in stream:
            if seen == 0:
                started = time.perf_counter()
            seen += 1
            if seen == expected:
                elapsed = time.perf_counter() - started
                out.write_text(json.dumps({"count": seen, "seconds": elapsed}))  # noqa: ASYNC240
                os._exit(0)

    faust.Worker(app, loglevel="warning", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
