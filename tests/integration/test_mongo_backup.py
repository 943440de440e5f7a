"""`refactortrack mongo backup` / `restore` (stores/mongo_backup.py) against FerretDB.

A database of its own per test: documents of several BSON types come back as they were,
a collection the backup does not hold is left alone, and a damaged or cut-short file is
refused before anything is dropped.
"""

from __future__ import annotations

import gzip
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from bson import Binary
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from core.settings import Settings, get_settings
from stores.mongo_backup import NotABackup, back_up, restore

pytestmark = pytest.mark.stack


@pytest.fixture
async def own() -> AsyncIterator[tuple[Settings, AsyncDatabase[dict[str, Any]]]]:
    get_settings.cache_clear()
    base = get_settings()
    settings = base.model_copy(update={"mongo_db": f"{base.mongo_db}_bk_{uuid.uuid4().hex[:8]}"})
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongo_url, uuidRepresentation="standard", tz_aware=True
    )
    try:
        yield settings, client[settings.mongo_db]
    finally:
        await client.drop_database(settings.mongo_db)
        await client.close()


async def test_documents_come_back_as_they_were(
    own: tuple[Settings, AsyncDatabase[dict[str, Any]]], tmp_path: Path
) -> None:
    settings, db = own
    at = datetime(2026, 11, 23, 8, 0, 0, 123000, tzinfo=UTC)
    docs = [
        {"_id": str(n), "file": Binary(bytes([n % 256]) * n), "at": at, "ref": uuid.uuid4()}
        for n in range(1, 1201)
    ]
    await db["files"].insert_many(docs)
    await db["profiles"].insert_one({"_id": "p", "work": [{"title": "SRE", "years": 3}]})
    path = tmp_path / "mongo.bson.gz"
    summary = await back_up(settings, path)
    assert summary.documents == {"files": 1200, "profiles": 1}

    await db["files"].delete_many({"_id": {"$in": ["1", "2"]}})
    await db["profiles"].update_one({"_id": "p"}, {"$set": {"work": []}})
    await db["other"].insert_one({"_id": "kept"})
    restored = await restore(settings, path)

    assert restored.documents == {"files": 1200, "profiles": 1}
    back = {d["_id"]: {**d, "file": bytes(d["file"])} for d in await db["files"].find().to_list()}
    assert back == {d["_id"]: {**d, "file": bytes(d["file"])} for d in docs}
    assert (await db["profiles"].find_one({"_id": "p"}) or {})["work"] == [
        {"title": "SRE", "years": 3}
    ]
    assert await db["other"].count_documents({}) == 1


async def test_a_damaged_or_cut_short_file_is_refused_before_anything_changes(
    own: tuple[Settings, AsyncDatabase[dict[str, Any]]], tmp_path: Path
) -> None:
    settings, db = own
    await db["files"].insert_many([{"_id": str(n), "n": n} for n in range(50)])
    path = tmp_path / "mongo.bson.gz"
    await back_up(settings, path)
    raw = gzip.decompress(path.read_bytes())
    short = tmp_path / "short.bson.gz"
    short.write_bytes(gzip.compress(raw[: len(raw) // 2]))
    other = tmp_path / "other.gz"
    other.write_bytes(gzip.compress(b"not bson at all"))
    await db["files"].insert_one({"_id": "new", "n": -1})

    for bad in (short, other):
        with pytest.raises(NotABackup):
            await restore(settings, bad)
        assert await db["files"].count_documents({}) == 51
