"""The system as a user meets it: the gateway and a worker as real processes over the stack."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.jobs.accounts import create_user
from app.jobs.integrations import IntegrationCredentials, create_integration, revoke_integration
from core.settings import Settings, get_settings
from stores.postgres.migrate import upgrade
from tests.harness.processes import running_system
from tests.support import ensure_database

ROOT = Path(__file__).resolve().parents[2]
LOG_DIR = ROOT / ".pytest_cache" / "e2e-logs"
PASSWORD = "correct-horse-battery"


@dataclass(frozen=True)
class System:
    base_url: str
    settings: Settings
    worker_health_url: str = ""


@pytest.fixture(scope="session")
def system() -> Iterator[System]:
    get_settings.cache_clear()
    settings = get_settings()
    asyncio.run(ensure_database(settings))
    upgrade(settings)
    with running_system(dict(os.environ), LOG_DIR, ROOT) as running:
        yield System(running.base_url, settings, running.worker_health_url)


@dataclass(frozen=True)
class Agency:
    """A tenant made for one test, with a logged-in client per role."""

    slug: str
    tenant_id: uuid.UUID
    client: httpx.AsyncClient


async def _make_agency(
    system: System, role: str = "recruiter", slug: str | None = None
) -> tuple[str, uuid.UUID, str]:
    slug = slug or f"t-{uuid.uuid4().hex[:12]}"
    username = f"{role}-{slug}"
    tenant_id, _ = await create_user(
        system.settings, tenant=slug, username=username, password=PASSWORD, role=role
    )
    return slug, tenant_id, username


async def login(base_url: str, username: str) -> str:
    async with httpx.AsyncClient(base_url=base_url) as anon:
        response = await anon.post(
            "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
        )
        response.raise_for_status()
        return str(response.json()["access_token"])


@asynccontextmanager
async def _agency(
    system: System, role: str = "recruiter", slug: str | None = None
) -> AsyncIterator[Agency]:
    """A user of `role` in the agency `slug` (a new agency unless given), logged in."""
    slug, tenant_id, username = await _make_agency(system, role, slug)
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


@pytest.fixture
async def job_board(system: System, agency: Agency) -> AsyncIterator[IntegrationCredentials]:
    """An integration of the agency that may read and write candidates, revoked after."""
    made = await create_integration(
        system.settings,
        tenant=agency.slug,
        name="job-board",
        role="recruiter",
        scopes=["candidates:read", "candidates:write"],
    )
    yield made
    await revoke_integration(system.settings, uuid.UUID(made.integration_id))


@pytest.fixture
async def admin(system: System) -> AsyncIterator[Agency]:
    """An admin of an agency of its own."""
    async with _agency(system, role="admin") as made:
        yield made


@pytest.fixture
async def other_admin(system: System) -> AsyncIterator[Agency]:
    """An admin of another agency of its own."""
    async with _agency(system, role="admin") as made:
        yield made
