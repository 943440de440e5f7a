"""Baseline: a Faust agent that does nothing but count, on the same broker and partitions.

Run as `python -m bench.noop_worker TOPIC COUNT`; prints one JSON line with its rate.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid

import faust

from core.settings import get_settings
from topics.app import create_faust_app


def main() -> None:
    topic_name, expected = sys.argv[1], int(sys.argv[2])
    app: faust.App = create_faust_app(
        get_settings(), app_id=f"rt-bench-noop-{uuid.uuid4().hex[:8]}"
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
                print(json.dumps({"count": seen, "seconds": elapsed}), flush=True)
                os._exit(0)

    faust.Worker(app, loglevel="warning", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
