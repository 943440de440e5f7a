"""Search and matching quality on the labelled sets in `tests/relevance/`.

Two sets: `set.json` (skills spelled many ways) and `set_traps.json` (skills with
versions and suffixes or written only in a headline, a job or a resume; people a commute
away, abroad, willing to relocate; rates far over the bill rate; roles sponsoring no
visa), each graded by `tests/relevance/judge.py`. A set is loaded into a new agency
through the product itself (the import, resumes uploaded as files, the API). For each
requisition, three rankings of the agency's candidates are graded: matching
(`GET /requisitions/{id}/matches`), keyword search (`GET /search/candidates` with `q=`
the requisition's required skills as plain terms, a two-word skill quoted), and the
baseline, a plain BM25 query of the requisition's title and skills over the same index.
Figures: nDCG@10 (gain 2^grade - 1) and recall@50 (of the candidates graded 2 or 3, out
of at most 50). Beside them (`bench/skills_ceiling.py`): keyword search graded by the
required skills alone (`search_skills_*`), and the ceiling of any query of the required
skills under the judge's grades (`ceiling_*`, mean over tie orders and worst order): the
judge also weighs place, relocation, visa and rate, which such a query cannot know.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import orjson
from opensearchpy import AsyncOpenSearch

from app.jobs.accounts import create_user
from app.jobs.imports.files import file_digest
from app.jobs.imports.runner import CandidateImport, command_id_for
from bench.ranking_metrics import ndcg_at, recall_at
from bench.skills_ceiling import ceiling, skill_grades
from core.settings import Settings
from stores.connections import opensearch_options
from stores.postgres.database import Database
from stores.postgres.users import find_tenant
from stores.search.store import SearchStore

SETS_DIR = Path(__file__).resolve().parent.parent / "tests" / "relevance"
SET_FILE = SETS_DIR / "set.json"
TRAPS_FILE = SETS_DIR / "set_traps.json"
SETS = {"first": SET_FILE, "traps": TRAPS_FILE}


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


async def _agency(settings: Settings, base_url: str) -> tuple[str, str]:
    """A new agency with a recruiter: its slug and an access token."""
    tenant = f"relevance-{uuid.uuid4().hex[:8]}"
    await create_user(
        settings, tenant=tenant, username=tenant, password="relevance-pw", role="recruiter"
    )
    async with httpx.AsyncClient(base_url=base_url) as http:
        r = await http.post(
            "/api/v1/auth/token", json={"username": tenant, "password": "relevance-pw"}
        )
        r.raise_for_status()
        return tenant, str(r.json()["access_token"])


def keyword_query(skills: Sequence[str]) -> str:
    """What a recruiter types in the search box: the required skills, a two-word one quoted."""
    return " ".join(f'"{s}"' if " " in s else s for s in skills)


async def evaluate(settings: Settings, base_url: str, set_file: Path = SET_FILE) -> dict[str, Any]:
    tenant, token = await _agency(settings, base_url)
    data = json.loads(await asyncio.to_thread(set_file.read_text))
    path = set_file.with_name(f"{set_file.stem}.candidates.jsonl")
    path.write_bytes(b"\n".join(orjson.dumps(c) for c in data["candidates"]) + b"\n")
    summary = await CandidateImport(settings, tenant).run(path)
    if summary.created != len(data["candidates"]):
        raise RuntimeError(f"the relevance set imported {summary.created} candidates")
    db = Database(settings)
    await db.start()
    async with db.read() as conn:
        tenant_id = await find_tenant(conn, tenant)
    await db.stop()
    assert tenant_id is not None
    digest = file_digest(path)
    ids = [
        str(uuid.uuid5(command_id_for(tenant_id, digest, line), "candidate"))
        for line in range(1, len(data["candidates"]) + 1)
    ]
    path.unlink()
    headers = {"Authorization": f"Bearer {token}"}
    raw = AsyncOpenSearch(**opensearch_options(settings))
    alias = SearchStore(settings).candidates_alias
    figures: dict[str, list[float]] = {k: [] for k in ("match", "search", "bm25", "search_skills")}
    recalls: dict[str, list[float]] = {k: [] for k in figures}
    by_skills = skill_grades(data)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as http:
        await _wait_indexed(raw, alias, tenant_id, len(ids))
        resumes = data.get("resumes") or {}
        for line, text in resumes.items():
            uploaded = await http.post(
                f"/api/v1/candidates/{ids[int(line)]}/documents",
                files={"file": ("resume.txt", text.encode(), "text/plain")},
            )
            uploaded.raise_for_status()
        await _wait_indexed(raw, alias, tenant_id, len(resumes), field="resume_text")
        for requisition, judged, skilled in zip(
            data["requisitions"], data["judgements"], by_skills, strict=True
        ):
            grades = {ids[int(i)]: g for i, g in judged.items()}
            client = await http.post("/api/v1/clients", json={"name": "Relevance Ltd"})
            made = await http.post(
                "/api/v1/requisitions", json={**requisition, "client_id": client.json()["id"]}
            )
            made.raise_for_status()
            matches = await http.get(
                f"/api/v1/requisitions/{made.json()['id']}/matches", params={"limit": 50}
            )
            matches.raise_for_status()
            q = keyword_query(requisition["required_skills"])
            searched = await http.get("/api/v1/search/candidates", params={"q": q, "limit": 50})
            searched.raise_for_status()
            rankings = {
                "match": [m["id"] for m in matches.json()["items"]],
                "search": [h["id"] for h in searched.json()["items"]],
                "bm25": await _bm25(raw, alias, tenant_id, requisition),
            }
            for name, ranked in rankings.items():
                figures[name].append(ndcg_at(ranked, grades))
                recalls[name].append(recall_at(ranked, grades))
            # The same search graded by the required skills alone (what its query says).
            skill_graded = {ids[int(i)]: g for i, g in skilled.items()}
            figures["search_skills"].append(ndcg_at(rankings["search"], skill_graded))
            recalls["search_skills"].append(recall_at(rankings["search"], skill_graded))
    await raw.close()
    return {
        **{f"{k}_ndcg10": _mean(v) for k, v in figures.items()},
        **{f"{k}_recall50": _mean(v) for k, v in recalls.items()},
        # The judge's figures of the best a query of the required skills can do.
        **ceiling(data),
        "requisitions": float(len(data["requisitions"])),
        "candidates": float(len(ids)),
    }


async def _bm25(
    client: AsyncOpenSearch, alias: str, tenant_id: UUID, requisition: dict[str, Any]
) -> list[str]:
    text = " ".join(
        [requisition["title"], *requisition["required_skills"], *requisition["nice_to_have_skills"]]
    )
    result = await client.search(
        index=alias,
        body={
            "size": 50,
            "query": {
                "bool": {
                    "must": [
                        {
                            "multi_match": {
                                "query": text,
                                "fields": ["full_name", "headline", "skills", "resume_text"],
                            }
                        }
                    ],
                    "filter": [{"term": {"tenant_id": str(tenant_id)}}],
                }
            },
            "_source": ["id"],
        },
    )
    return [h["_source"]["id"] for h in result["hits"]["hits"]]


async def _wait_indexed(
    client: AsyncOpenSearch, alias: str, tenant_id: UUID, n: int, *, field: str = "version"
) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        query = {
            "bool": {
                "filter": [{"term": {"tenant_id": str(tenant_id)}}, {"exists": {"field": field}}]
            }
        }
        found = await client.count(index=alias, body={"query": query})
        if found["count"] >= n:
            return
        await asyncio.sleep(0.2)
    raise RuntimeError("the relevance set was not indexed in time")
