"""The restore drill: back up, lose every store, restore, and get the same answers.

An agency is written through the API (candidates, one with a resume, a client, a
requisition, a submission moved a stage, a saved search with an alert) and its answers
are read: the candidate, searches of candidates, resumes and requisitions, the timeline,
the saved search's matches and the analytics funnel. Then, as docs/operations.md
("Backups") says: the system is stopped, Postgres is backed up with `pg_dump` and MongoDB
with `refactortrack mongo backup`; the Postgres database, the MongoDB database, the
OpenSearch indexes, the agency's Redis keys and the workers' local table state are
wiped; `pg_restore`, `refactortrack mongo restore`, `refactortrack migrate`,
`refactortrack reindex`, and the system is started again. Every answer must be the same,
and the saved search must still alert on a new match (the percolator came back).

Kafka is kept, as in a loss of the databases: the analytics come back from their
changelog topics (and the event topics behind them), not from Postgres.

Everything runs in stores of its own (a database, a document database, an index prefix,
topics and consumer groups named after this run), dropped at the end; only the Redis
db is shared with the run's other tests, and only this agency's keys are wiped there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from opensearchpy import AsyncOpenSearch
from pymongo import AsyncMongoClient

from app.jobs.accounts import create_user
from core.settings import Settings, get_settings
from stores.connections import opensearch_options, redis_options
from tests.e2e.conftest import LOG_DIR, PASSWORD, ROOT
from tests.e2e.helpers import candidate_body, eventually
from tests.harness.processes import CLI, running_system
from tests.harness.scratch import drop_database
from tests.support import ensure_database, own_namespace

pytestmark = pytest.mark.stack

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
DRILL_LOGS = LOG_DIR / "restore-drill"


@pytest.fixture
async def drill() -> AsyncIterator[Settings]:
    """Settings for stores of the drill's own, all dropped afterwards."""
    get_settings.cache_clear()
    base = get_settings()
    run = uuid.uuid4().hex[:8]
    async with own_namespace(base, f"{base.topic_namespace}-drill") as spaced:
        own = spaced.model_copy(
            update={
                "postgres_db": f"{base.postgres_db}_drill_{run}",
                "mongo_db": f"{base.mongo_db}_drill_{run}",
                "index_prefix": f"{base.index_prefix}-drill-{run}",
                "worker_data_dir": f"{base.worker_data_dir}-drill-{run}",
            }
        )
        await ensure_database(own)
        try:
            yield own
        finally:
            await _wipe(own, tenant_id=None)


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "POSTGRES_DB": settings.postgres_db,
        "MONGODB_DB": settings.mongo_db,
        "INDEX_PREFIX": settings.index_prefix,
        "TOPIC_NAMESPACE": settings.topic_namespace,
        "WORKER_ID": settings.worker_id,
        "WORKER_DATA_DIR": settings.worker_data_dir,
    }


def _pg_env(settings: Settings) -> dict[str, str]:
    """pg_dump's and pg_restore's login: the app's own settings, as libpq variables."""
    return {
        **os.environ,
        "PGHOST": settings.postgres_host,
        "PGPORT": str(settings.postgres_port),
        "PGUSER": settings.postgres_user,
        "PGPASSWORD": settings.postgres_password,
        "PGSSLMODE": settings.postgres_sslmode,
    }


def _run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{command[:3]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


async def _wipe(settings: Settings, tenant_id: uuid.UUID | None) -> None:
    """What a lost site leaves: no database, no documents, no indexes, no Redis keys of
    the agency, no local table state. Kafka is kept."""
    await drop_database(settings)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url)
    try:
        await mongo.drop_database(settings.mongo_db)
    finally:
        await mongo.close()
    search = AsyncOpenSearch(**opensearch_options(settings))
    try:
        await search.indices.delete(index=f"{settings.index_prefix}-*", ignore_unavailable=True)
    finally:
        await search.close()
    if tenant_id is not None:
        redis = aioredis.Redis.from_url(settings.redis_url, **redis_options(settings))
        try:
            doomed = [key async for key in redis.scan_iter(match=f"rt:*{tenant_id}*")]
            if doomed:
                await redis.delete(*doomed)
        finally:
            await redis.aclose()
    shutil.rmtree(settings.worker_data_dir, ignore_errors=True)


async def _login(base_url: str, username: str) -> httpx.AsyncClient:
    async with httpx.AsyncClient(base_url=base_url) as anon:
        r = await anon.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    return httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


async def _created(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Any:
    r = await client.post(path, json=body)
    assert r.status_code == 201, f"{path}: {r.status_code} {r.text}"
    return r.json()


class Known:
    """The agency the drill writes, and what it asks of it."""

    def __init__(self) -> None:
        self.word = f"numbat{uuid.uuid4().hex[:6]}"
        self.resume_word = f"{self.word}resume"
        self.candidates: list[str] = []
        self.requisition = ""
        self.submission = ""
        self.saved_search = ""

    async def write(self, client: httpx.AsyncClient) -> None:
        for n in range(3):
            made = await _created(
                client,
                "/api/v1/candidates",
                candidate_body(headline=f"Platform engineer {self.word} {n}"),
            )
            self.candidates.append(made["id"])
        resume = f"Led the {self.resume_word} migration to Kafka".encode()
        r = await client.post(
            f"/api/v1/candidates/{self.candidates[0]}/documents",
            files={"file": ("cv.txt", resume, "text/plain")},
        )
        assert r.status_code == 201, r.text
        firm = await _created(client, "/api/v1/clients", {"name": "Globex", "status": "active"})
        req = await _created(
            client,
            "/api/v1/requisitions",
            {
                "client_id": firm["id"],
                "title": f"Platform Engineer {self.word}",
                "openings": 2,
                "employment_type": "contract",
            },
        )
        self.requisition = req["id"]
        # A saved search alerts on candidates indexed after it is saved: the three above
        # are made before it, so it is saved only once the index has them (on a slow
        # machine the followers may still be behind).
        await eventually(
            lambda: self._found(client, 3), timeout=90, what="the first candidates indexed"
        )
        saved = await _created(
            client, "/api/v1/saved-searches", {"name": "Platform people", "q": self.word}
        )
        self.saved_search = saved["id"]
        sub = await _created(
            client,
            "/api/v1/submissions",
            {"candidate_id": self.candidates[1], "requisition_id": self.requisition},
        )
        self.submission = sub["id"]
        moved = await client.post(
            f"/api/v1/submissions/{self.submission}/transitions", json={"to": "screened"}
        )
        assert moved.status_code == 200, moved.text
        # Made after the saved search: its alert is among the answers.
        late = await _created(
            client, "/api/v1/candidates", candidate_body(headline=f"SRE {self.word} late")
        )
        self.candidates.append(late["id"])

    async def _found(self, client: httpx.AsyncClient, n: int) -> bool:
        r = await client.get("/api/v1/search/candidates", params={"q": self.word, "limit": 50})
        return r.status_code == 200 and len(r.json()["items"]) >= n

    async def answers(self, client: httpx.AsyncClient) -> dict[str, Any]:
        async def get(path: str, **params: Any) -> Any:
            r = await client.get(path, params=params)
            assert r.status_code == 200, f"{path}: {r.status_code} {r.text}"
            return r.json()

        found = await get("/api/v1/search/candidates", q=self.word, limit=50)
        funnel = await get("/api/v1/analytics/funnel")
        return {
            "candidate": await get(f"/api/v1/candidates/{self.candidates[0]}"),
            "submitted candidate": await get(f"/api/v1/candidates/{self.candidates[1]}"),
            "search": sorted((_unscored(item) for item in found["items"]), key=str),
            "resume search": [
                item["id"]
                for item in (await get("/api/v1/search/candidates", q=self.resume_word))["items"]
            ],
            "stage search": [
                item["id"]
                for item in (await get("/api/v1/search/candidates", stage="screened"))["items"]
            ],
            "requisition search": [
                item["id"]
                for item in (await get("/api/v1/search/requisitions", q=self.word))["items"]
            ],
            "requisition": await get(f"/api/v1/requisitions/{self.requisition}"),
            "timeline": await get(f"/api/v1/candidates/{self.candidates[1]}/timeline"),
            "saved searches": await get("/api/v1/saved-searches"),
            "matches": await get(f"/api/v1/saved-searches/{self.saved_search}/matches"),
            "funnel": funnel["current"],
        }

    async def settled(self, client: httpx.AsyncClient) -> dict[str, Any] | None:
        """The answers once the followers (index, percolator, analytics) have caught up."""
        now = await self.answers(client)
        ready = (
            len(now["search"]) == len(self.candidates)
            and now["resume search"] == [self.candidates[0]]
            and now["stage search"] == [self.candidates[1]]
            and now["requisition search"] == [self.requisition]
            and len(now["matches"]["items"]) == 1
            and now["funnel"].get("screened") == 1
        )
        return now if ready else None


def _unscored(item: dict[str, Any]) -> dict[str, Any]:
    """A search hit without its relevance score, which depends on the index's history."""
    return {k: v for k, v in item.items() if k not in ("score", "_score")}


async def test_a_backup_restored_into_empty_stores_gives_the_same_answers(
    drill: Settings, tmp_path: Path
) -> None:
    env = _env(drill)
    slug = f"drill-{uuid.uuid4().hex[:10]}"
    username = f"recruiter-{slug}"
    known = Known()

    with running_system(env, DRILL_LOGS / "before", ROOT) as system:
        tenant_id, _ = await create_user(
            drill, tenant=slug, username=username, password=PASSWORD, role="recruiter"
        )
        async with await _login(system.base_url, username) as client:
            await known.write(client)
            before = await eventually(
                lambda: known.settled(client), timeout=90, what="the agency's answers settled"
            )

    # The system is stopped: back up.
    pgdump, mongo_backup = tmp_path / "rt.pgdump", tmp_path / "rt.mongo.bson.gz"
    _run(
        [str(PG_BIN / "pg_dump"), "--format=custom", f"--file={pgdump}", drill.postgres_db],
        _pg_env(drill),
    )
    _run([CLI, "mongo", "backup", str(mongo_backup)], env)

    # The site is lost.
    await _wipe(drill, tenant_id)
    search = AsyncOpenSearch(**opensearch_options(drill))
    try:
        assert not await search.indices.get(index=f"{drill.index_prefix}-*")
    finally:
        await search.close()

    # Restore, as docs/operations.md says.
    await ensure_database(drill)
    _run(
        [str(PG_BIN / "pg_restore"), "--no-owner", f"--dbname={drill.postgres_db}", str(pgdump)],
        _pg_env(drill),
    )
    restored = _run([CLI, "mongo", "restore", "--yes", str(mongo_backup)], env)
    assert "candidate_profiles" in restored
    _run([CLI, "migrate"], env)
    _run([CLI, "reindex"], env)

    with running_system(env, DRILL_LOGS / "after", ROOT) as system:
        async with await _login(system.base_url, username) as client:
            after = await eventually(
                lambda: known.settled(client), timeout=90, what="the answers after the restore"
            )
            for name, answer in before.items():
                assert after[name] == answer, f"{name} differs after the restore"

            # The percolator came back with the saved searches: a new match still alerts.
            fresh = await _created(
                client, "/api/v1/candidates", candidate_body(headline=f"SRE {known.word} new")
            )
            url = f"/api/v1/saved-searches/{known.saved_search}/matches"

            async def alerted() -> bool:
                items = (await client.get(url)).json()["items"]
                return fresh["id"] in [item["candidate_id"] for item in items]

            await eventually(alerted, timeout=30, what="an alert for a match after the restore")


async def test_an_erasure_after_the_backup_is_applied_again_after_the_restore(
    drill: Settings, tmp_path: Path
) -> None:
    """A backup holds the people erased after it was taken (and their keys). The erasure
    register, kept by Kafka, outlives the database: `refactortrack erasures reapply` finds
    who the restored database holds again and erases them, everywhere, once."""
    env = _env(drill)
    slug = f"erase-{uuid.uuid4().hex[:10]}"
    username = f"recruiter-{slug}"
    word = f"quokka{uuid.uuid4().hex[:6]}"

    with running_system(env, DRILL_LOGS / "erase-before", ROOT) as system:
        tenant_id, _ = await create_user(
            drill, tenant=slug, username=username, password=PASSWORD, role="recruiter"
        )
        async with await _login(system.base_url, username) as client:
            gone = await _created(
                client, "/api/v1/candidates", candidate_body(headline=f"SRE {word} gone")
            )
            kept = await _created(
                client, "/api/v1/candidates", candidate_body(headline=f"SRE {word} kept")
            )

    backup_taken = datetime.now(UTC)
    pgdump, mongo_backup = tmp_path / "rt.pgdump", tmp_path / "rt.mongo.bson.gz"
    _run(
        [str(PG_BIN / "pg_dump"), "--format=custom", f"--file={pgdump}", drill.postgres_db],
        _pg_env(drill),
    )
    _run([CLI, "mongo", "backup", str(mongo_backup)], env)

    with running_system(env, DRILL_LOGS / "erase-erased", ROOT) as system:
        async with await _login(system.base_url, username) as client:
            r = await client.delete(f"/api/v1/candidates/{gone['id']}")
            assert r.status_code == 204, r.text

    # The site is lost and restored from the backup taken before the erasure.
    await _wipe(drill, tenant_id)
    await ensure_database(drill)
    _run(
        [str(PG_BIN / "pg_restore"), "--no-owner", f"--dbname={drill.postgres_db}", str(pgdump)],
        _pg_env(drill),
    )
    _run([CLI, "mongo", "restore", "--yes", str(mongo_backup)], env)
    _run([CLI, "migrate"], env)
    _run([CLI, "reindex"], env)
    # The restore brought the person back: what the register is for.
    listed = json.loads(_run([CLI, "erasures", "reapply", "--dry-run", "--json"], env))
    assert [held["id"] for held in listed["held_again"]] == [gone["id"]]

    with running_system(env, DRILL_LOGS / "erase-after", ROOT) as system:
        since = backup_taken.strftime("%Y-%m-%dT%H:%M:%S")
        out = _run([CLI, "erasures", "reapply", "--since", since], env)
        assert "held again after the restore: 1; erased 1" in out, out
        async with await _login(system.base_url, username) as client:
            assert (await client.get(f"/api/v1/candidates/{gone['id']}")).status_code == 404
            assert (await client.get(f"/api/v1/candidates/{kept['id']}")).status_code == 200

            async def found_only_kept() -> bool:
                r = await client.get("/api/v1/search/candidates", params={"q": word})
                return [item["id"] for item in r.json()["items"]] == [kept["id"]]

            await eventually(found_only_kept, timeout=30, what="the erased gone from search")
        # Again: nobody is held any more, nothing is sent.
        again = _run([CLI, "erasures", "reapply"], env)
        assert "held again after the restore: 0; erased 0" in again, again
