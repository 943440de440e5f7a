"""`python -m bench --search-at N`: search latency over one agency of N candidates.

What is measured is the query, so the agency is filled straight into OpenSearch: N
generated candidate snapshots go through the indexer's own document builder
(agents/search_indexer/documents.py) and the index writer (stores/search/candidate_writes.py),
in bulk, with refreshes off while loading, instead of through the import (one command
per candidate, Postgres and MongoDB too), which at a million would take the better part
of an hour. The search answers come from the index alone (`_source`; the gateway reads
no Postgres row for a hit, it only appends the ids to the audit log), so the agency
needs no candidate rows: only the agency and its recruiter, made by `create_user`.

Then the query mix of bench/search_latency.py runs through the API and raw, interleaved.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from opensearchpy import AsyncOpenSearch

from agents.search_indexer.documents import candidate_document
from app.jobs.accounts import create_user
from bench.creates import console
from core.settings import Settings
from domain.skills import text_skill_keys
from stores.connections import opensearch_options
from stores.search.candidate_writes import index_candidates
from stores.search.store import SearchStore

FIRST = [
    "Ada",
    "Grace",
    "Linus",
    "Barbara",
    "Ken",
    "Radia",
    "Alan",
    "Margaret",
    "Dennis",
    "Frances",
    "Guido",
    "Sophie",
    "Yukihiro",
    "Anita",
    "Tim",
    "Hedy",
    "John",
    "Karen",
]
LAST = [
    "Lovelace",
    "Hopper",
    "Torvalds",
    "Liskov",
    "Thompson",
    "Perlman",
    "Turing",
    "Hamilton",
    "Ritchie",
    "Allen",
    "Rossum",
    "Wilson",
    "Matsumoto",
    "Borg",
    "Berners",
    "Lamarr",
    "Backus",
    "Jones",
    "Nguyen",
    "Schmidt",
    "Garcia",
    "Kowalski",
    "Okafor",
]
CITIES = [
    ("Berlin", "DE"),
    ("Munich", "DE"),
    ("Hamburg", "DE"),
    ("London", "GB"),
    ("Manchester", "GB"),
    ("Amsterdam", "NL"),
    ("Paris", "FR"),
    ("Madrid", "ES"),
    ("Austin", "US"),
    ("New York City", "US"),
    ("Toronto", "CA"),
    ("Warsaw", "PL"),
]
SKILLS = [
    "Python",
    "Kafka",
    "Go",
    "Kubernetes",
    "PostgreSQL",
    "React",
    "AWS",
    "Terraform",
    "Java",
    "TypeScript",
    "Rust",
    "Docker",
    "Spark",
    "Scala",
    "PHP",
    "Ruby",
    "C#",
    "Azure",
    "GCP",
    "Django",
    "FastAPI",
    "Node.js",
    "Redis",
    "Elasticsearch",
    "Kotlin",
    "Swift",
    "SQL",
    "Airflow",
    "Snowflake",
    "Linux",
]
HEADLINES = [
    "Senior Python Engineer",
    "Data Engineer",
    "SRE",
    "Go Developer",
    "Backend Developer",
    "Full Stack Engineer",
    "Platform Engineer",
    "Senior Software Engineer",
    "DevOps Engineer",
    "Machine Learning Engineer",
    "Frontend Developer",
    "Staff Engineer",
    "Java Developer",
    "Cloud Architect",
]
EMPLOYERS = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark Industries",
    "Wayne Enterprises",
    "Wonka",
    "Cyberdyne",
    "Soylent",
    "Tyrell",
    "Aperture",
]
WORDS = [
    "built",
    "maintained",
    "designed",
    "migrated",
    "services",
    "pipelines",
    "platform",
    "team",
    "customers",
    "latency",
    "reliability",
    "scale",
    "data",
    "streaming",
    "api",
    "cloud",
    "infrastructure",
    "tests",
    "deployments",
    "monitoring",
    "on-call",
    "mentoring",
    "product",
    "features",
    "performance",
]
TAGS = ["imported", "referral", "silver-medalist", "contractor", "relocation", "visa"]
SOURCES = ["job_board", "referral", "sourced", "import", "website"]
RESUME_SHARE = 0.3  # candidates with a resume's text indexed
BATCH = 2_000
IN_FLIGHT = 2  # bulk requests at once: one per core of the node


def snapshot(r: random.Random, tenant_id: str, i: int, now: datetime) -> dict[str, Any]:
    """The JSON data of one candidate's latest event, as the indexer receives it."""
    city, country = r.choice(CITIES)
    created = now - timedelta(minutes=r.randrange(3 * 365 * 24 * 60))
    jobs = [
        {
            "title": r.choice(HEADLINES),
            "employer": r.choice(EMPLOYERS),
            "description": " ".join(r.sample(WORDS, 8) + r.sample(SKILLS, 2)),
        }
        for _ in range(r.randint(1, 3))
    ]
    return {
        "id": str(uuid.UUID(int=r.getrandbits(128), version=4)),
        "tenant_id": tenant_id,
        "first_name": r.choice(FIRST),
        "last_name": f"{r.choice(LAST)}{i}",
        "emails": [f"c{i}@example.com"],
        "headline": r.choice(HEADLINES),
        "skills": [
            {"name": s, "years": r.randint(1, 12)} for s in r.sample(SKILLS, r.randint(3, 8))
        ],
        "work_history": jobs,
        "location": {"city": city, "country": country, "remote": r.random() < 0.4},
        "tags": r.sample(TAGS, r.randint(0, 2)),
        "source": r.choice(SOURCES),
        "status": "active" if r.random() < 0.9 else r.choice(["placed", "do_not_use"]),
        "owner_id": None,
        "desired_rate": {"amount": str(r.randint(50, 150)), "currency": "EUR", "unit": "hour"},
        "created_at": created.isoformat(),
        "updated_at": (created + timedelta(days=r.randrange(60))).isoformat(),
        "version": 1,
    }


# Distinct candidates built through the document builder; the N documents are copies of
# them under new ids, names and dates. Building each of a million through the builder
# (the skill vocabulary's regexes over every text) would take longer than the load.
TEMPLATES = 4_000


def documents(tenant_id: str, n: int, seed: int = 17) -> Iterator[dict[str, Any]]:
    """N index documents of one agency, some with a resume's text."""
    r = random.Random(seed)
    now = datetime.now(UTC)
    templates = []
    for i in range(min(n, TEMPLATES)):
        doc = candidate_document(snapshot(r, tenant_id, i, now))
        if r.random() < RESUME_SHARE:
            # What the resume script (SET_RESUME_SCRIPT) would put there, written in the
            # same bulk request rather than as an update per candidate.
            text = " ".join(r.choices(WORDS, k=80) + r.sample(SKILLS, 5))
            doc["resume_text"] = text
            doc["resume_skill_keys"] = text_skill_keys(text)
        templates.append(doc)
    span = 3 * 365 * 24 * 3600
    for i in range(n):
        doc = dict(templates[i % len(templates)])
        created = now - timedelta(seconds=r.randrange(span))
        last = f"{r.choice(LAST)}{i}"
        doc["id"] = str(uuid.UUID(int=r.getrandbits(128), version=4))
        doc["last_name"] = last
        doc["full_name"] = f"{doc['first_name']} {last}"
        doc["emails"] = [f"c{i}@example.com"]
        doc["created_at"] = created.isoformat()
        doc["updated_at"] = (created + timedelta(seconds=r.randrange(60 * 86400))).isoformat()
        yield doc


async def fill_agency(settings: Settings, tenant_id: str, n: int) -> dict[str, float]:
    """Bulk-load N candidates of `tenant_id` into the candidate index behind its alias."""
    client = AsyncOpenSearch(**opensearch_options(settings), timeout=120)
    store = SearchStore(settings)
    await store.start()
    await store.ensure_indexes()
    await store.stop()
    alias = SearchStore(settings).candidates_alias
    try:
        await client.indices.put_settings(index=alias, body={"index": {"refresh_interval": "-1"}})
        started = time.perf_counter()
        pending: set[asyncio.Task[None]] = set()
        batch: list[dict[str, Any]] = []
        loaded = 0
        for doc in documents(tenant_id, n):
            batch.append(doc)
            if len(batch) == BATCH:
                if len(pending) >= IN_FLIGHT:
                    done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        task.result()
                pending.add(asyncio.create_task(index_candidates(client, alias, batch)))
                loaded += len(batch)
                batch = []
                if loaded % 100_000 == 0:
                    console.print(f"  {loaded:,} loaded, {time.perf_counter() - started:.0f} s")
        if batch:
            pending.add(asyncio.create_task(index_candidates(client, alias, batch)))
        for task in pending:
            await task
        load_s = time.perf_counter() - started
    finally:
        await client.indices.put_settings(
            index=alias, body={"index": {"refresh_interval": settings.search_refresh_interval}}
        )
    await client.indices.refresh(index=alias)
    segments = await client.cat.segments(index=alias, format="json")
    await client.close()
    return {"load_seconds": load_s, "docs_per_second": n / load_s, "segments": len(segments)}


async def agency_for_search(settings: Settings, n: int) -> tuple[str, dict[str, float]]:
    """A new agency with N candidates in the index; returns its slug and the load's figures."""
    slug = f"bench-search-{uuid.uuid4().hex[:8]}"
    tenant_id, _ = await create_user(
        settings, tenant=slug, username=f"{slug}-loader", password="bench-load-pw", role="admin"
    )
    console.print(f"[bold]search at scale[/]: loading {n:,} candidates into one agency")
    load = await fill_agency(settings, str(tenant_id), n)
    console.print(
        f"  {load['docs_per_second']:.0f} docs/s ({load['load_seconds']:.0f} s), "
        f"{load['segments']:.0f} segments"
    )
    return slug, load
