"""Start the gateway and a worker as child processes, for the e2e tests and the benchmarks."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

PR_SET_PDEATHSIG = 1
CLI = str(Path(sys.executable).with_name("refactortrack"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Callable[[], bool], what: str, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    tail = log_path.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"{what} did not come up in {timeout:.0f}s; log {log_path}:\n{tail}")


@dataclass(frozen=True)
class RunningSystem:
    base_url: str
    gateway_pid: int
    # The command worker (`--agents commands`; `domain` with RT_FOLLOWERS=together).
    worker_pid: int
    analytics_pid: int
    # The command worker's health port (/live, /ready, /metrics).
    worker_health_url: str
    # The followers' worker and its health port; None with RT_FOLLOWERS=together.
    followers_pid: int | None = None
    followers_health_url: str | None = None


def followers_apart(env: Mapping[str, str] = os.environ) -> bool:
    """RT_FOLLOWERS=apart (the default) runs the followers in a worker of their own, as
    deployed; `together` runs them in the command worker (`--agents domain`), which a
    benchmark uses as its baseline."""
    value = env.get("RT_FOLLOWERS", "apart")
    if value not in ("apart", "together"):
        raise ValueError(f"RT_FOLLOWERS is apart or together, not {value!r}")
    return value == "apart"


def command_agents(env: Mapping[str, str] = os.environ) -> str:
    """What the command worker runs: without its followers when they run apart."""
    return "commands" if followers_apart(env) else "domain"


def _die_with_parent() -> None:
    """Linux: a child gets SIGTERM when the test or bench run that started it dies."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(
    args: list[str], env: dict[str, str], log_path: Path, cwd: Path
) -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [CLI, *args],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def running_system(env: dict[str, str], log_dir: Path, cwd: Path) -> Iterator[RunningSystem]:
    """Migrate, then run the workers (commands, followers, analytics) and a gateway until
    the block ends."""
    subprocess.run([CLI, "migrate"], cwd=cwd, env=env, check=True, capture_output=True)
    worker_log, gateway_log = log_dir / "worker.log", log_dir / "gateway.log"
    analytics_log, followers_log = log_dir / "analytics.log", log_dir / "followers.log"
    worker_health_url = f"http://127.0.0.1:{free_port()}"
    workers = [
        spawn(
            ["worker", "--agents", command_agents(env), "--loglevel", "info"],
            {**env, "WORKER_HEALTH_PORT": worker_health_url.rsplit(":", 1)[1]},
            worker_log,
            cwd,
        )
    ]
    followers_health_url = None
    if followers_apart(env):
        # A health port of its own: two workers on one host cannot share one.
        followers_health_url = f"http://127.0.0.1:{free_port()}"
        workers.append(
            spawn(
                ["worker", "--agents", "followers", "--loglevel", "info"],
                {**env, "WORKER_HEALTH_PORT": followers_health_url.rsplit(":", 1)[1]},
                followers_log,
                cwd,
            )
        )
    workers.append(
        spawn(["worker", "--agents", "analytics", "--loglevel", "info"], env, analytics_log, cwd)
    )
    port = free_port()
    gateway = spawn(["gateway", "--port", str(port)], env, gateway_log, cwd)
    base_url = f"http://127.0.0.1:{port}"

    gateway_ready = http_ready(base_url)
    try:
        # Four interpreters load at once on a shared two-core machine: a minute or more.
        wait_for(gateway_ready, "the gateway", gateway_log, 180)
        # Faust logs "Ready" once its agents have their partitions.
        wait_for(lambda: b"Ready" in worker_log.read_bytes(), "the worker", worker_log, 180)
        if followers_health_url is not None:
            wait_for(
                lambda: b"Ready" in followers_log.read_bytes(), "followers", followers_log, 180
            )
        wait_for(lambda: b"Ready" in analytics_log.read_bytes(), "analytics", analytics_log, 180)
        yield RunningSystem(
            base_url,
            gateway.pid,
            workers[0].pid,
            workers[-1].pid,
            worker_health_url,
            workers[1].pid if followers_health_url is not None else None,
            followers_health_url,
        )
    finally:
        stop(gateway)
        for worker in workers:
            stop(worker)


def http_ready(base_url: str) -> Callable[[], bool]:
    """Whether a gateway at `base_url` answers its readiness probe, for `wait_for`."""

    def ready() -> bool:
        try:
            return httpx.get(f"{base_url}/ready", timeout=3).status_code == 200
        except httpx.HTTPError:
            return False

    return ready
