"""End-to-end create throughput over REST: many clients POST with `Prefer: respond-async`,
timed until the agent has applied every create (shared by `make bench` and the encryption
cost measurement, bench/encryption.py)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import aiohttp
import httpx
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import func, select

from app.jobs.accounts import create_user
from core.settings import get_settings
from stores.postgres.database import Database
from stores.postgres.tables import candidates

console = Console()


def candidate_body(i: int, run: str) -> dict[str, Any]:
    return {
        "first_name": "Bench",
        "last_name": f"Candidate{i}",
        "emails": [f"bench.{run}.{i}@example.com"],
        "headline": "Senior Python Engineer",
        "location": {"city": "Berlin", "country": "DE", "remote": True},
        "skills": [{"name": "Python", "years": 6}, {"name": "Kafka"}, {"name": f"m{run}x{i}"}],
        "tags": ["bench"],
    }


async def login(base_url: str) -> tuple[str, uuid.UUID]:
    slug = f"bench-{uuid.uuid4().hex[:8]}"
    tenant_id, _ = await create_user(
        get_settings(), tenant=slug, username=slug, password="bench-password", role="recruiter"
    )
    async with httpx.AsyncClient(base_url=base_url) as client:
        r = await client.post(
            "/api/v1/auth/token", json={"username": slug, "password": "bench-password"}
        )
        r.raise_for_status()
        return str(r.json()["access_token"]), tenant_id


async def applied_count(db: Database, tenant_id: uuid.UUID) -> int:
    async with db.read() as conn:
        result = await conn.execute(
            select(func.count()).select_from(candidates).where(candidates.c.tenant_id == tenant_id)
        )
        return int(result.scalar_one())


async def throughput(
    base_url: str, token: str, tenant_id: uuid.UUID, n: int, concurrency: int
) -> dict[str, float]:
    """N creates with `Prefer: respond-async` from concurrent clients, then until all applied.

    The load comes from aiohttp, the lightest Python client at hand, so that the client's
    own CPU (these machines have two cores) takes as little as possible from the system.
    """
    run = uuid.uuid4().hex[:6]
    headers = {"Authorization": f"Bearer {token}", "Prefer": "respond-async"}
    db = Database(get_settings())
    await db.start()
    before = await applied_count(db, tenant_id)
    bodies = [json.dumps(candidate_body(i, run)).encode() for i in range(n)]
    next_index = iter(range(n))
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        base_url, headers={**headers, "Content-Type": "application/json"}, connector=connector
    ) as session:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("accepting", total=n)

            async def sender() -> None:
                for i in next_index:
                    async with session.post("/api/v1/candidates", data=bodies[i]) as r:
                        if r.status != 202:
                            raise RuntimeError(f"create answered {r.status}: {await r.text()}")
                        await r.read()
                    progress.advance(task)

            started = time.perf_counter()
            await asyncio.gather(*(sender() for _ in range(concurrency)))
            accepted_at = time.perf_counter()
            applying = progress.add_task("applying", total=n)
            while (done := await applied_count(db, tenant_id) - before) < n:
                progress.update(applying, completed=done)
                await asyncio.sleep(0.02)
            applied_at = time.perf_counter()
    await db.stop()
    return {
        "accept_rate": n / (accepted_at - started),
        "e2e_rate": n / (applied_at - started),
    }
