"""Search and matching quality on the labelled set in `tests/relevance/set.json`.

The set is loaded into a new agency through the product itself (the import and the
API). For each requisition, three rankings of the agency's candidates are graded:
matching (`GET /requisitions/{id}/matches`), search (`GET /search/candidates` with the
requisition's required skills as `skill:` terms joined by AND), and the baseline, a
plain BM25 query of the requisition's title and skills over the same index. Figures:
nDCG@10 (gain 2^grade - 1) and recall@50 (of the candidates graded 2 or 3).
"""

from __future__ import annotations

import asyncio
import json
import math
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
from core.settings import Settings
from stores.connections import opensearch_options
from stores.postgres.database import Database
from stores.postgres.users import find_tenant
from stores.search.store import SearchStore

SET_FILE = Path(__file__).resolve().parent.parent / "tests" / "relevance" / "set.json"
RELEVANT = 2


def ndcg_at(ranked: Sequence[str], grades: dict[str, int], k: int = 10) -> float:
    def dcg(gains: Sequence[int]) -> float:
        return float(sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains[:k])))

    ideal = dcg(sorted(grades.values(), reverse=True))
    return dcg([grades.get(c, 0) for c in ranked]) / ideal if ideal else 1.0


def recall_at(ranked: Sequence[str], grades: dict[str, int], k: int = 50) -> float:
    relevant = {c for c, g in grades.items() if g >= RELEVANT}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 1.0


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


async def evaluate(settings: Settings, base_url: str) -> dict[str, Any]:
    tenant, token = await _agency(settings, base_url)
    data = json.loads(SET_FILE.read_text())
    path = SET_FILE.with_name("candidates.jsonl")
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
    figures: dict[str, list[float]] = {k: [] for k in ("match", "search", "bm25")}
    recalls: dict[str, list[float]] = {k: [] for k in figures}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as http:
        await _wait_indexed(raw, alias, tenant_id, len(ids))
        for requisition, judged in zip(data["requisitions"], data["judgements"], strict=True):
            grades = {ids[int(i)]: g for i, g in judged.items()}
            client = await http.post("/api/v1/clients", json={"name": "Relevance Ltd"})
            made = await http.post(
                "/api/v1/requisitions", json={**requisition, "client_id": client.json()["id"]}
            )
            made.raise_for_status()
            matches = await http.get(
                f"/api/v1/requisitions/{made.json()['id']}/matches", params={"limit": 50}
            )
            # What a recruiter types: each required skill, quoted only when it is two words.
            q = " AND ".join(
                f'skill:"{s}"' if " " in s else f"skill:{s}" for s in requisition["required_skills"]
            )
            searched = await http.get("/api/v1/search/candidates", params={"q": q, "limit": 50})
            rankings = {
                "match": [m["id"] for m in matches.json()["items"]],
                "search": [h["id"] for h in searched.json()["items"]],
                "bm25": await _bm25(raw, alias, tenant_id, requisition),
            }
            for name, ranked in rankings.items():
                figures[name].append(ndcg_at(ranked, grades))
                recalls[name].append(recall_at(ranked, grades))
    await raw.close()
    return {
        **{f"{k}_ndcg10": _mean(v) for k, v in figures.items()},
        **{f"{k}_recall50": _mean(v) for k, v in recalls.items()},
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


async def _wait_indexed(client: AsyncOpenSearch, alias: str, tenant_id: UUID, n: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = await client.count(
            index=alias, body={"query": {"term": {"tenant_id": str(tenant_id)}}}
        )
        if found["count"] >= n:
            return
        await asyncio.sleep(0.2)
    raise RuntimeError("the relevance set was not indexed in time")
