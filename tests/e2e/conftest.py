"""The system as a user meets it: the gateway and a worker as real processes over the stack."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from core.passwords import hash_password
from core.settings import Settings, get_settings
from stores.postgres.database import Database
from stores.postgres.users import ensure_tenant, upsert_user

ROOT = Path(__file__).resolve().parents[2]
CLI = str(Path(sys.executable).with_name("refactortrack"))
LOG_DIR = ROOT / ".pytest_cache" / "e2e-logs"
PASSWORD = "correct-horse-battery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _ensure_database(settings: Settings) -> None:
    conn = await asyncpg.connect(
        host=settings.postgres_host,
        port=settings.postgres_port,
        user=settings.postgres_user,
        password=settings.postgres_password,
        database="postgres",
    )
    try:
        exists = await conn.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", settings.postgres_db
        )
        if not exists:
            await conn.execute(f'CREATE DATABASE "{settings.postgres_db}"')
    finally:
        await conn.close()


def _spawn(name: str, args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], Path]:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = LOG_DIR / f"{name}.log"
    log = log_path.open("wb")
    proc = subprocess.Popen([CLI, *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return proc, log_path


def _wait_for(predicate: object, what: str, log_path: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.25)
    tail = log_path.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"{what} did not come up in {timeout:.0f}s; log {log_path}:\n{tail}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass(frozen=True)
class System:
    base_url: str
    settings: Settings


@pytest.fixture(scope="session")
def system() -> Iterator[System]:
    get_settings.cache_clear()
    settings = get_settings()
    asyncio.run(_ensure_database(settings))
    env = {**os.environ}
    subprocess.run([CLI, "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)

    worker, worker_log = _spawn("worker", ["worker", "--loglevel", "info"], env)
    port = _free_port()
    gateway, gateway_log = _spawn("gateway", ["gateway", "--port", str(port)], env)
    base_url = f"http://127.0.0.1:{port}"
    try:

        def gateway_ready() -> bool:
            try:
                return httpx.get(f"{base_url}/ready", timeout=3).status_code == 200
            except httpx.HTTPError:
                return False

        _wait_for(gateway_ready, "the gateway", gateway_log)
        # Faust logs "Ready" once its agents have partitions assigned.
        _wait_for(lambda: b"Ready" in worker_log.read_bytes(), "the worker", worker_log, 120)
        yield System(base_url, settings)
    finally:
        _stop(gateway)
        _stop(worker)


@dataclass(frozen=True)
class Agency:
    """A tenant made for one test, with a logged-in client per role."""

    slug: str
    tenant_id: uuid.UUID
    client: httpx.AsyncClient


async def _make_agency(system: System, role: str = "recruiter") -> tuple[str, uuid.UUID, str]:
    slug = f"t-{uuid.uuid4().hex[:12]}"
    username = f"{role}-{slug}"
    db = Database(system.settings)
    await db.start()
    try:
        async with db.transaction() as conn:
            tenant_id = await ensure_tenant(conn, slug)
            await upsert_user(
                conn,
                tenant_id=tenant_id,
                username=username,
                password_hash=hash_password(PASSWORD),
                role=role,
            )
    finally:
        await db.stop()
    return slug, tenant_id, username


async def login(base_url: str, username: str) -> str:
    async with httpx.AsyncClient(base_url=base_url) as anon:
        response = await anon.post(
            "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
        )
        response.raise_for_status()
        return str(response.json()["access_token"])


@asynccontextmanager
async def _agency(system: System, role: str = "recruiter") -> AsyncIterator[Agency]:
    slug, tenant_id, username = await _make_agency(system, role)
    token = await login(system.base_url, username)
    async with httpx.AsyncClient(
        base_url=system.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        yield Agency(slug, tenant_id, client)


@pytest.fixture
async def agency(system: System) -> AsyncIterator[Agency]:
    async with _agency(system) as made:
        yield made


@pytest.fixture
async def other_agency(system: System) -> AsyncIterator[Agency]:
    async with _agency(system) as made:
        yield made


@pytest.fixture
async def viewer(system: System) -> AsyncIterator[Agency]:
    async with _agency(system, role="viewer") as made:
        yield made
