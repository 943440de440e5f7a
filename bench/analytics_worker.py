"""The analytics agents alone, timed: `python -m bench.analytics_worker COUNT OUT`.

Reads the backlog the benchmark put on the (namespaced) event topics: the route agent
re-keys each event by agency, the metrics agent applies it to the tables and sums.
Writes how long the metrics agent took from its first event to the COUNT-th as JSON to
OUT, then exits. The no-op baseline reads the same backlog with an agent that only counts.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import faust
from mode import Service

from agents.analytics import agent as analytics
from app.faust_app import analytics_fetch, create_faust_app
from core.settings import get_settings
from stores.bundle import Stores


def main() -> None:
    expected, out = int(sys.argv[1]), Path(sys.argv[2])
    settings = get_settings()
    # As the deployed analytics worker sends and fetches (app/worker.py).
    app: faust.App = create_faust_app(
        settings,
        app_id=f"{settings.worker_id}-{uuid.uuid4().hex[:6]}",
        linger_ms=settings.analytics_producer_linger_ms,
        fetch=analytics_fetch(settings),
    )
    stores = Stores(settings)
    state = analytics.register(app, stores, settings)
    apply = state.apply
    seen = 0
    started = 0.0

    def counted(event: Any, partition: int) -> bool:
        nonlocal seen, started
        if seen == 0:
            started = time.perf_counter()
        changed = apply(event, partition)
        seen += 1
        if seen == expected:
            elapsed = time.perf_counter() - started
            out.write_text(json.dumps({"count": seen, "seconds": elapsed}))
            os._exit(0)
        return changed

    state.apply = counted  # type: ignore[method-assign]

    @app.service
    class StoresService(Service):
        async def on_start(self) -> None:
            await stores.start()

        async def on_stop(self) -> None:
            await stores.stop()

    faust.Worker(app, loglevel="warning", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
