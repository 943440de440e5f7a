"""Bulk import throughput, against a raw `COPY` of the same rows in the same run.

The import is timed from its first row read until the last candidate is in every
store: its record in Postgres and profile in MongoDB (the command ledger has every
outcome) and its document in the OpenSearch index. The baseline reads the same CSV and
COPYs the candidate records into a temporary table shaped like `candidates`: the cost
of the Postgres write alone, with no validation, duplicates, profiles, events or index.
"""

from __future__ import annotations

import asyncio
import csv
import random
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from opensearchpy import AsyncOpenSearch
from sqlalchemy import text

from app.jobs.imports.runner import CandidateImport, Progress
from core import jsoncodec
from core.settings import Settings
from stores.connections import opensearch_options
from stores.mongo import MongoStore
from stores.postgres.database import Database
from stores.postgres.users import ensure_tenant
from stores.search.store import SearchStore

CITIES = [("Berlin", "DE"), ("London", "GB"), ("Amsterdam", "NL"), ("Austin", "US")]
SKILLS = ["Python", "Kafka", "Go", "k8s", "PostgreSQL", "React", "AWS", "Terraform", "Java"]
HEADER = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "headline",
    "city",
    "country",
    "remote",
    "skills",
    "source",
    "tags",
    "desired_rate",
    "desired_rate_currency",
]


def write_candidates_csv(path: Path, n: int, seed: int = 11) -> None:
    """N distinct candidates, as an agency's export would hold them."""
    r = random.Random(seed)
    run = uuid.uuid4().hex[:8]
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for i in range(n):
            city, country = r.choice(CITIES)
            skills = ";".join(f"{s}:{r.randint(1, 12)}" for s in r.sample(SKILLS, 3))
            out.writerow(
                [
                    r.choice(["Ada", "Grace", "Linus", "Barbara", "Ken", "Radia"]),
                    f"Import{run}x{i}",
                    f"cand.{run}.{i}@example.com",
                    f"+4930{i:08d}",
                    r.choice(["Senior Python Engineer", "Data Engineer", "SRE", "Go Developer"]),
                    city,
                    country,
                    r.choice(["yes", "no"]),
                    skills,
                    r.choice(["job_board", "referral", "sourced"]),
                    "imported",
                    str(r.randint(60, 140)),
                    "EUR",
                ]
            )


async def copy_baseline(settings: Settings, path: Path) -> float:
    """Rows/s of reading the file and COPYing its records into a scratch table."""
    db = Database(settings)
    await db.start()
    try:
        tenant_id = uuid.uuid4()
        async with db.transaction() as conn:
            started = time.perf_counter()
            now = datetime.now(UTC)
            records = []
            with path.open(newline="") as f:
                for row in csv.DictReader(f):
                    location = {"city": row["city"], "country": row["country"], "remote": True}
                    records.append(
                        (
                            uuid.uuid4(),
                            tenant_id,
                            row["first_name"],
                            row["last_name"],
                            [row["email"]],
                            [row["phone"]],
                            row["headline"],
                            jsoncodec.dumps(location).decode(),
                            row["source"],
                            "active",
                            ["imported"],
                            1,
                            now,
                            now,
                        )
                    )
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            await conn.execute(
                text(
                    "CREATE TEMP TABLE copy_baseline (LIKE candidates INCLUDING ALL) ON COMMIT DROP"
                )
            )
            columns = [
                "id",
                "tenant_id",
                "first_name",
                "last_name",
                "emails",
                "phones",
                "headline",
                "location",
                "source",
                "status",
                "tags",
                "version",
                "created_at",
                "updated_at",
            ]
            await driver.copy_records_to_table("copy_baseline", records=records, columns=columns)
            elapsed = time.perf_counter() - started
        return len(records) / elapsed
    finally:
        await db.stop()


async def _indexed(client: AsyncOpenSearch, alias: str, tenant_id: UUID) -> int:
    # No forced refresh: it would slow the indexing it measures; the index refreshes
    # itself every SEARCH_REFRESH_INTERVAL.
    found = await client.count(index=alias, body={"query": {"term": {"tenant_id": str(tenant_id)}}})
    return int(found["count"])


async def _profiles_found(settings: Settings, tenant_id: UUID, ids: list[UUID]) -> int:
    mongo = MongoStore(settings)
    await mongo.start()
    try:
        return len(await mongo.get_profiles(tenant_id, ids))
    finally:
        await mongo.stop()


async def import_throughput(
    settings: Settings, path: Path, rows: int, slug: str, progress: Progress | None = None
) -> dict[str, float]:
    """Import the file into a new agency; rows/s into Postgres+MongoDB and into every store."""
    db = Database(settings)
    await db.start()
    async with db.transaction() as conn:
        tenant_id = await ensure_tenant(conn, slug)
    await db.stop()
    started = time.monotonic()
    summary = await CandidateImport(settings, slug).run(path, progress)
    stored = time.monotonic() - started
    client = AsyncOpenSearch(**opensearch_options(settings))
    alias = SearchStore(settings).candidates_alias
    try:
        deadline = time.monotonic() + 600
        while (indexed := await _indexed(client, alias, tenant_id)) < summary.created:
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        everywhere = time.monotonic() - started
    finally:
        await client.close()
    # Each profile was written in the transaction that recorded its command's outcome,
    # so the ledger's count is MongoDB's too; a sample is read back to show it. (Counting
    # by tenant would scan the whole collection on FerretDB's SQLite backend.)
    profiles = await _profiles_found(settings, tenant_id, summary.sample_ids)
    return {
        "rows": float(rows),
        "created": float(summary.created),
        "profiles_sampled": float(profiles),
        "indexed": float(indexed),
        "postgres_mongo_rate": summary.created / stored,
        "every_store_rate": summary.created / everywhere,
        "seconds": everywhere,
    }
