"""CPU the stack's servers spend, read from /proc: what a create costs outside our code.

Postgres, Kafka, Redis, OpenSearch and FerretDB are shared by everything on the machine,
so their figures mean "per create" only on an otherwise quiet machine; the bench says so
beside them. Each server is counted with its whole process tree (Postgres serves each
connection from a child process of its own).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

STACK = Path(__file__).resolve().parents[1] / "deploy" / "local" / "stack.sh"
_TICKS = os.sysconf("SC_CLK_TCK")
_STATUS_LINE = re.compile(r"^(\w+)\s+up\s+pid\s+(\d+)", re.MULTILINE)

Snapshot = dict[str, dict[int, float]]


def server_pids() -> dict[str, int]:
    """The pid of each server `deploy/local/stack.sh status` reports up (none if it fails)."""
    try:
        done = subprocess.run(
            ["bash", str(STACK), "status"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return {}
    return {name: int(pid) for name, pid in _STATUS_LINE.findall(done.stdout)}


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a live process, None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: the fields follow the last ')'.
    fields = raw[raw.rindex(")") + 2 :].split()
    # Its own user and system time, and that of its children that ended and were waited for.
    return int(fields[1]), sum(int(f) for f in fields[11:15]) / _TICKS


def snapshot(roots: dict[str, int]) -> Snapshot:
    """CPU seconds so far of every process in each server's tree, by pid."""
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (found := _stat(int(entry))) is not None:
            stats[int(entry)] = found
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    taken: Snapshot = {}
    for name, root in roots.items():
        tree, todo = {}, [root]
        while todo:
            pid = todo.pop()
            if pid in stats:
                tree[pid] = stats[pid][1]
                todo.extend(children.get(pid, []))
        taken[name] = tree
    return taken


def per_create(before: Snapshot, after: Snapshot, creates: int) -> dict[str, float]:
    """CPU milliseconds each server spent per create between two snapshots. A process that
    started meanwhile counts whole; one that ended meanwhile is lost (rare: pools persist)."""
    return {
        name: sum(cpu - before.get(name, {}).get(pid, 0.0) for pid, cpu in tree.items())
        * 1000
        / max(creates, 1)
        for name, tree in after.items()
    }


class StackMeter:
    """The servers' CPU from its start to `per_create`: `StackMeter()` ... `.per_create(n)`."""

    def __init__(self) -> None:
        self._roots = server_pids()
        self._before = snapshot(self._roots)

    def per_create(self, creates: int) -> dict[str, float]:
        return per_create(self._before, snapshot(self._roots), creates)
