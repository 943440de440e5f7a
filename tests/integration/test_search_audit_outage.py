"""A search is answered only with its audit entry written: with Postgres away the gateway
answers 503 (problem+json, Retry-After) and no search answer goes out unrecorded; when
Postgres is back the searches are answered and recorded again, on an intact chain.

Postgres is shared by everyone on the machine, so it is not stopped: the gateway (a
process of its own) reaches it through a TCP relay in this test, and the relay is what
stops, cutting every connection it carried, as a server that goes away does.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from app.jobs.accounts import create_user
from core.settings import get_settings
from stores.bundle import Stores
from stores.postgres import audit
from tests.harness.processes import free_port, http_ready, spawn, stop, wait_for

pytestmark = pytest.mark.stack

LOGS = Path(__file__).resolve().parents[2] / ".pytest_cache" / "e2e-logs"


class Relay:
    """Forwards 127.0.0.1:`port` to Postgres until stopped; started again on the same port."""

    def __init__(self, port: int, target: int) -> None:
        self.port, self.target = port, target
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._carry, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def _carry(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.transport.abort()
            return
        self._open |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._open -= {writer, up_writer}


async def _searches_recorded(stores: Stores, tenant_id: uuid.UUID) -> int:
    async with stores.db.read() as conn:
        found = await conn.execute(
            text(
                "SELECT count(*) FROM audit_log WHERE tenant_id = :t AND action = 'list' "
                "AND detail->>'view' = 'search'"
            ),
            {"t": tenant_id},
        )
        return int(found.scalar_one())


async def test_no_search_answer_without_its_entry(stores: Stores) -> None:
    settings = get_settings()
    relay = Relay(free_port(), settings.postgres_port)
    await relay.start()
    slug = f"outage-{uuid.uuid4().hex[:8]}"
    tenant_id, _ = await create_user(
        settings, tenant=slug, username=f"{slug}-r", password="outage-pw-1", role="recruiter"
    )
    env = {
        **os.environ,
        "POSTGRES_PORT": str(relay.port),
        # The caller's standing is read once: what is measured is the audit entry's write.
        "AUTH_RECHECK_SECONDS": "600",
        "RATE_LIMIT_PER_MINUTE": "0",
        "AGENCY_RATE_LIMIT_PER_MINUTE": "0",
    }
    port = free_port()
    log = LOGS / "gateway-audit-outage.log"
    gateway = spawn(["gateway", "--port", str(port)], env, log, Path.cwd())
    url = f"http://127.0.0.1:{port}"

    ready = http_ready(url)

    try:
        await asyncio.to_thread(wait_for, ready, "the gateway", log, 120)
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            login = await http.post(
                "/api/v1/auth/token", json={"username": f"{slug}-r", "password": "outage-pw-1"}
            )
            login.raise_for_status()
            http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"

            async def search() -> httpx.Response:
                return await http.get("/api/v1/search/candidates", params={"q": "python"})

            assert (await search()).status_code == 200
            assert await _searches_recorded(stores, tenant_id) == 1

            await relay.stop()
            # Several at once: the group they share fails, and each is told.
            refused = await asyncio.gather(*(search() for _ in range(4)))
            assert [r.status_code for r in refused] == [503] * 4, [r.text for r in refused]
            assert all(r.headers["content-type"] == "application/problem+json" for r in refused)
            assert all("Retry-After" in r.headers for r in refused)
            assert await _searches_recorded(stores, tenant_id) == 1

            await relay.start()
            answered = await asyncio.gather(*(search() for _ in range(3)))
            assert [r.status_code for r in answered] == [200] * 3
            assert await _searches_recorded(stores, tenant_id) == 4
    finally:
        stop(gateway)
        await relay.stop()
    async with stores.db.snapshot() as conn:
        verdict = await audit.verify_chain(conn, tenant_id)
    assert verdict.intact, verdict.broken
