"""Loaded by every Python process started with this folder on PYTHONPATH (the memory
phase does so when BENCH_TRACEMALLOC names a folder). A domain worker watches that folder:
for each `<pid>-<n>.request` file that appears it writes a snapshot of its traced
allocations to `<pid>-<n>.snap`, which `bench.memory_growth` diffs to find what grows
with the data. (A file, not a signal: the worker's own signal handlers take SIGUSR1/2.)

Tracing starts at the first request, not at start-up: tracing the imports (the gazetteer's
tables among them) slows the start past the harness's patience, and what was allocated
before the load is not what grows with it.
"""

import os
import sys
import threading
import time
import tracemalloc

_out = os.environ.get("BENCH_TRACEMALLOC", "")


def _watch() -> None:
    taken = 0
    while True:
        request = os.path.join(_out, f"{os.getpid()}-{taken + 1}.request")
        if os.path.exists(request):
            if not tracemalloc.is_tracing():
                tracemalloc.start(int(os.environ.get("BENCH_TRACEMALLOC_FRAMES", "8")))
            taken += 1
            snap = os.path.join(_out, f"{os.getpid()}-{taken}.snap")
            tracemalloc.take_snapshot().dump(snap + ".part")
            os.rename(snap + ".part", snap)
        time.sleep(0.5)


if _out and "worker" in sys.argv and "domain" in sys.argv:
    threading.Thread(target=_watch, name="tracemalloc-snapshots", daemon=True).start()
