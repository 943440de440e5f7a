"""A system with N command workers in one consumer group, for the memory and scale-out phases.

`tests/harness/processes.py::running_system` starts one command worker; these phases need
one to four, each a process of its own in the same group (the same WORKER_ID), so Kafka
spreads the command topics' partitions over them. As in the harness, the followers run in
one worker of their own (`--agents followers`), or in each command worker with
RT_FOLLOWERS=together (`--agents domain`). Each worker gets a data directory of its
own (Faust keeps a lock and its table files there), the analytics worker and the gateway
are started as in the harness.

Resident memory is read per process tree (the worker's document readers are its
children) by pid, never by name: other engineers' workers run on the same machine.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.memory import PATTERNS
from tests.harness.processes import (
    CLI,
    command_agents,
    followers_apart,
    free_port,
    spawn,
    stop,
    wait_for,
)

# The stack's servers, shared by everyone on the machine: their figures are the machine's.
SERVERS = ("postgres", "redis", "kafka", "opensearch", "ferretdb")


@dataclass(frozen=True)
class Cluster:
    base_url: str
    gateway_pid: int
    analytics_pid: int
    worker_pids: list[int] = field(default_factory=list)
    followers_pid: int | None = None


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for pid_dir in Path("/proc").iterdir():
        if not pid_dir.name.isdigit():
            continue
        try:
            # The command may hold spaces and parentheses: the parent comes after the last ")".
            stat = (pid_dir / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(pid_dir.name))
    return tree


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_mib(pid: int) -> float:
    """Resident memory of a process and every descendant, in MiB."""
    tree = _children()
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += _rss_kib(current)
        todo.extend(tree.get(current, ()))
    return total / 1024


def servers_mib() -> dict[str, float]:
    """The stack's servers by name (whole machine: they are shared)."""
    totals = dict.fromkeys(SERVERS, 0.0)
    for pid_dir in Path("/proc").iterdir():
        if not pid_dir.name.isdigit():
            continue
        try:
            cmd = (pid_dir / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        for name in SERVERS:
            if PATTERNS[name] in cmd:
                totals[name] += _rss_kib(int(pid_dir.name)) / 1024
                break
    return totals


def resident(cluster: Cluster) -> dict[str, float]:
    """MiB per process of this cluster (by pid), then the shared servers'."""
    out = {"gateway": tree_mib(cluster.gateway_pid)}
    for i, pid in enumerate(cluster.worker_pids):
        out[f"domain worker {i + 1}"] = tree_mib(pid)
    if cluster.followers_pid is not None:
        out["followers worker"] = tree_mib(cluster.followers_pid)
    out["analytics worker"] = tree_mib(cluster.analytics_pid)
    out.update({f"{name} (shared)": mib for name, mib in servers_mib().items()})
    return out


def _logged_ready(log: Path) -> Callable[[], bool]:
    # Faust logs "Ready" once its agents have their partitions.
    return lambda: b"Ready" in log.read_bytes()


@contextmanager
def running_cluster(
    env: dict[str, str], log_dir: Path, cwd: Path, domain_workers: int = 1
) -> Iterator[Cluster]:
    """Migrate, then N command workers, the followers', the analytics worker and a gateway."""
    subprocess.run([CLI, "migrate"], cwd=cwd, env=env, check=True, capture_output=True)
    data_dir = Path(env.get("WORKER_DATA_DIR", ".worker-data"))
    with ExitStack() as stack:
        workers = []
        for i in range(domain_workers):
            log = log_dir / f"worker-{i + 1}.log"
            (data_dir / f"domain-{i + 1}").mkdir(parents=True, exist_ok=True)
            proc = spawn(
                ["worker", "--agents", command_agents(env), "--loglevel", "info"],
                {**env, "WORKER_DATA_DIR": str(data_dir / f"domain-{i + 1}")},
                log,
                cwd,
            )
            stack.callback(stop, proc)
            # One at a time: each join is a rebalance, and the next waits for it to settle.
            wait_for(_logged_ready(log), f"worker {i + 1}", log, 180)
            workers.append(proc.pid)
        followers_pid = None
        if followers_apart(env):
            followers_log = log_dir / "followers.log"
            (data_dir / "followers").mkdir(parents=True, exist_ok=True)
            followers = spawn(
                ["worker", "--agents", "followers", "--loglevel", "info"],
                {**env, "WORKER_DATA_DIR": str(data_dir / "followers")},
                followers_log,
                cwd,
            )
            stack.callback(stop, followers)
            wait_for(_logged_ready(followers_log), "followers", followers_log, 180)
            followers_pid = followers.pid
        analytics_log = log_dir / "analytics.log"
        (data_dir / "analytics").mkdir(parents=True, exist_ok=True)
        analytics = spawn(
            ["worker", "--agents", "analytics", "--loglevel", "info"],
            {**env, "WORKER_DATA_DIR": str(data_dir / "analytics")},
            analytics_log,
            cwd,
        )
        stack.callback(stop, analytics)
        port = free_port()
        gateway_log = log_dir / "gateway.log"
        gateway = spawn(["gateway", "--port", str(port)], env, gateway_log, cwd)
        stack.callback(stop, gateway)
        base_url = f"http://127.0.0.1:{port}"

        def gateway_ready() -> bool:
            try:
                return httpx.get(f"{base_url}/ready", timeout=3).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(gateway_ready, "the gateway", gateway_log, 90)
        wait_for(lambda: b"Ready" in analytics_log.read_bytes(), "analytics", analytics_log, 120)
        # The group's last rebalance (the last worker's join) settles before any load.
        time.sleep(float(os.environ.get("BENCH_SETTLE_SECONDS", "5")))
        yield Cluster(base_url, gateway.pid, analytics.pid, workers, followers_pid)
