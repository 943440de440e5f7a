"""py-spy attached to a running process while a benchmark phase runs.

Two samplers on one process: a flame graph (SVG) to look at, and the raw collapsed
stacks, which `bench/profile_table.py` turns into microseconds per record by part.
`--nonblocking` keeps py-spy from pausing the process at each sample, so the figure
measured under the profile stays close to the one measured without it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PY_SPY = str(Path(sys.executable).with_name("py-spy"))
RATE = 200
SAMPLE = [PY_SPY, "record", "--nonblocking", "--rate", str(RATE)]


@contextmanager
def profiled(pid: int, out: Path, *, idle: bool = False) -> Iterator[None]:
    """Sample `pid` until the block ends: `out` (.svg) and `out` with .txt (collapsed).
    With `idle`, threads that wait (the event loop in its select) are sampled too."""
    sample = [*SAMPLE, "--idle"] if idle else SAMPLE
    procs = [
        subprocess.Popen(
            [*sample, "--pid", str(pid), "--format", fmt, "--output", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for fmt, path in (("flamegraph", out), ("raw", out.with_suffix(".txt")))
    ]
    try:
        yield
    finally:
        # py-spy writes its file when interrupted (SIGINT), as after Ctrl-C.
        for proc in procs:
            proc.send_signal(2)
        for proc in procs:
            proc.wait(timeout=60)
