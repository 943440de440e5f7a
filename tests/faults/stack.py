"""A private copy of the five servers, on ports and a state dir of its own.

The fault scenarios stop and kill servers. The shared stack (deploy/local, default ports)
serves every engineer on this machine, so the suite never touches it: it runs its own
Postgres, Redis, Kafka, OpenSearch and FerretDB with `deploy/local/stack.sh`, pointed at
another RT_STATE_DIR and other ports, and gives its processes settings that name them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "deploy" / "local" / "stack.sh"

SERVERS = ("postgres", "redis", "kafka", "opensearch", "ferretdb")

# Below the kernel's ephemeral range (32768+): while a server is down its port is free,
# and an outgoing connection must not take it before the server comes back.
DEFAULT_PORT_BASE = 26000


class StackError(RuntimeError):
    """stack.sh could not do what was asked; the message carries its output."""


@dataclass(frozen=True)
class PrivateStack:
    state_dir: Path
    port_base: int = DEFAULT_PORT_BASE

    @property
    def ports(self) -> dict[str, int]:
        b = self.port_base
        return {
            "postgres": b + 432,
            "redis": b + 379,
            "ferretdb": b + 17,
            "kafka": b + 92,
            "kafka_controller": b + 93,
            "opensearch": b + 200,
        }

    def stack_env(self) -> dict[str, str]:
        """What stack.sh needs to act on this copy and no other."""
        p = self.ports
        env = {
            k: v
            for k, v in os.environ.items()
            # The shared stack's URLs in the caller's environment would win over the ports.
            if k not in ("KAFKA_BOOTSTRAP_SERVERS", "OPENSEARCH_URL", "MONGODB_URL")
        }
        env.update(
            RT_STATE_DIR=str(self.state_dir),
            POSTGRES_PORT=str(p["postgres"]),
            REDIS_PORT=str(p["redis"]),
            MONGO_PORT=str(p["ferretdb"]),
            KAFKA_PORT=str(p["kafka"]),
            KAFKA_CONTROLLER_PORT=str(p["kafka_controller"]),
            OPENSEARCH_PORT=str(p["opensearch"]),
        )
        return env

    def app_env(self) -> dict[str, str]:
        """Settings for the app's processes and the harness (core/settings.py reads them;
        the secrets come from this copy's own `<state dir>/secrets.env`)."""
        p = self.ports
        return {
            "RT_STATE_DIR": str(self.state_dir),
            "POSTGRES_HOST": "127.0.0.1",
            "POSTGRES_PORT": str(p["postgres"]),
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(p["redis"]),
            "MONGODB_URL": f"mongodb://127.0.0.1:{p['ferretdb']}",
            "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{p['kafka']}",
            "OPENSEARCH_URL": f"http://127.0.0.1:{p['opensearch']}",
        }

    def _run(self, *args: str, timeout: float = 300) -> str:
        result = subprocess.run(
            ["bash", str(STACK), *args],
            cwd=ROOT,
            env=self.stack_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        out = result.stdout + result.stderr
        if result.returncode != 0:
            raise StackError(f"stack.sh {' '.join(args)} failed ({result.returncode}):\n{out}")
        return out

    def up(self, *servers: str) -> str:
        """Start these servers (all when none is named) and wait until each answers."""
        return self._run("up", *servers)

    def down(self, *servers: str) -> str:
        """Stop them the polite way (SIGTERM, then SIGKILL after stack.sh's timeout)."""
        return self._run("down", *servers)

    def is_up(self, server: str) -> bool:
        try:
            self._run("status", server, timeout=60)
        except StackError:
            return False
        return True

    def pid(self, server: str) -> int:
        """The server's pid, as stack.sh recorded it (Postgres: its postmaster.pid)."""
        if server == "postgres":
            path = self.state_dir / "postgres" / "data" / "postmaster.pid"
            return int(path.read_text().splitlines()[0])
        return int((self.state_dir / "run" / f"{server}.pid").read_text().strip())

    def kill(self, server: str) -> None:
        """SIGKILL, as a crash or the OOM killer would: no controlled shutdown."""
        pid = self.pid(server)
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        raise StackError(f"{server} (pid {pid}) still runs 30 s after SIGKILL")
