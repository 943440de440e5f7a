"""One scenario's running system: the harness's gateway and workers, and the workers a
scenario starts itself after it killed one (as a supervisor would)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

import httpx

from app.jobs.accounts import create_user
from core.settings import Settings
from tests.faults.stack import ROOT, PrivateStack
from tests.harness.processes import (
    RunningSystem,
    command_agents,
    running_system,
    spawn,
    stop,
)

PASSWORD = "fault-suite-password"


@dataclass(frozen=True)
class Harness:
    """What every scenario runs with."""

    settings: Settings
    env: dict[str, str]  # the environment of every process the scenario starts
    log_dir: Path
    stack: PrivateStack | None  # None: the shared stack, whose servers are never stopped


@dataclass(frozen=True)
class Agency:
    tenant_id: UUID
    token: str


def exit_status(pid: int) -> int | None:
    """The exit code of our child `pid` once it has ended (a signal as its negative), else None.

    The harness started it with Popen; reaping it here is safe (Popen then finds no child
    and takes it as ended).
    """
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return 0 if not Path(f"/proc/{pid}").exists() else None
    if done == 0:
        return None
    return os.waitstatus_to_exitcode(status)


@dataclass
class FaultSystem:
    harness: Harness
    name: str
    running: RunningSystem
    worker_pid: int
    worker_log: Path
    spares: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.running.base_url

    def signal_worker(self, sig: signal.Signals) -> None:
        os.kill(self.worker_pid, sig)

    async def wait_worker_exit(self, timeout: float) -> int | None:
        """The domain worker's exit code, or None if it still runs after `timeout` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = exit_status(self.worker_pid)
            if code is not None:
                return code
            await asyncio.sleep(0.05)
        return None

    def worker_alive(self) -> bool:
        return exit_status(self.worker_pid) is None

    def start_worker(self) -> float:
        """A new domain worker (the old one must be gone); returns when it was started."""
        n = len(self.spares) + 2
        self.worker_log = self.harness.log_dir / self.name / f"worker-{n}.log"
        proc = spawn(
            ["worker", "--agents", command_agents(self.harness.env), "--loglevel", "info"],
            self.harness.env,
            self.worker_log,
            ROOT,
        )
        self.spares.append(proc)
        self.worker_pid = proc.pid
        return time.time()

    async def wait_worker_started(self, timeout: float = 180) -> float:
        """When the current worker is running: its interpreter has loaded the app and the
        worker logs that it starts (the counterpart of a server that answers again)."""
        return await self._wait_log(b"[^Worker]: Starting", timeout)

    async def wait_worker_ready(self, timeout: float = 180) -> float:
        """When the current worker logged Faust's "Ready" (its agents have partitions)."""
        return await self._wait_log(b"Ready", timeout)

    async def _wait_log(self, line: bytes, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.worker_log.exists() and line in self.worker_log.read_bytes():
                return time.time()
            if not self.worker_alive():
                break
            await asyncio.sleep(0.1)
        tail = self.worker_log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"the worker never logged {line!r}; {self.worker_log}:\n{tail}")

    async def agency(self) -> Agency:
        """A new agency with a recruiter logged in: each scenario's data is its own."""
        slug = f"faults-{uuid.uuid4().hex[:10]}"
        tenant_id, _ = await create_user(
            self.harness.settings, tenant=slug, username=slug, password=PASSWORD, role="recruiter"
        )
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as client:
            r = await client.post(
                "/api/v1/auth/token", json={"username": slug, "password": PASSWORD}
            )
            r.raise_for_status()
            return Agency(tenant_id, str(r.json()["access_token"]))

    def logs(self) -> list[Path]:
        return sorted((self.harness.log_dir / self.name).glob("*.log"))


@contextmanager
def fault_system(harness: Harness, name: str) -> Iterator[FaultSystem]:
    """Migrate, start the gateway and the workers; stop everything the scenario started."""
    log_dir = harness.log_dir / name
    log_dir.mkdir(parents=True, exist_ok=True)
    for old in log_dir.glob("*.log"):
        old.unlink()
    with running_system(harness.env, log_dir, ROOT) as running:
        system = FaultSystem(harness, name, running, running.worker_pid, log_dir / "worker.log")
        try:
            yield system
        finally:
            for proc in system.spares:
                stop(proc)
