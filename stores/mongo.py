"""MongoDB (FerretDB locally) holds candidate profile documents and resume files (sealed by
stores/resume_files.py, which every caller goes through)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from bson import Binary
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, ConnectionFailure

from core.settings import Settings
from stores.errors import translated

# Server selection timed out, the connection dropped, or the server stopped answering.
unreachable = translated("mongodb", (ConnectionFailure,))

PROFILES = "candidate_profiles"
FILES = "document_files"
DUPLICATE_KEY = 11000


class MongoStore:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: AsyncMongoClient[dict[str, Any]] | None = None

    async def start(self) -> None:
        if self._client is None:
            self._client = AsyncMongoClient(
                self._settings.mongo_url,
                uuidRepresentation="standard",
                tz_aware=True,
                serverSelectionTimeoutMS=5000,
            )

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    @property
    def db(self) -> AsyncDatabase[dict[str, Any]]:
        if self._client is None:
            raise RuntimeError("MongoStore.start() was not called")
        return self._client[self._settings.mongo_db]

    @unreachable
    async def ping(self) -> None:
        await self.db.command("ping")

    @unreachable
    async def ensure_indexes(self) -> None:
        await self.db[PROFILES].create_index([("tenant_id", 1)])
        await self.db[FILES].create_index([("tenant_id", 1), ("candidate_id", 1)])

    @unreachable
    async def put_profile(
        self, tenant_id: UUID, candidate_id: UUID, profile: dict[str, Any]
    ) -> None:
        await self.db[PROFILES].replace_one(
            {"_id": str(candidate_id)},
            {"_id": str(candidate_id), "tenant_id": str(tenant_id), **profile},
            upsert=True,
        )

    @unreachable
    async def put_profiles(self, profiles: Sequence[tuple[UUID, UUID, dict[str, Any]]]) -> None:
        """Write many (tenant_id, candidate_id, profile) at once; a redelivery replaces."""
        docs = [
            {"_id": str(candidate_id), "tenant_id": str(tenant_id), **profile}
            for tenant_id, candidate_id, profile in profiles
        ]
        if not docs:
            return
        try:
            await self.db[PROFILES].insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            for e in errors:
                doc = docs[e["index"]]
                await self.db[PROFILES].replace_one({"_id": doc["_id"]}, doc, upsert=True)

    @unreachable
    async def put_file(
        self,
        tenant_id: UUID,
        candidate_id: UUID,
        document_id: UUID,
        content: bytes,
        *,
        sealed: bool,
    ) -> None:
        """Store a file as given; `sealed` says it is sealed (stores/resume_files.py does)."""
        await self.db[FILES].insert_one(
            {
                "_id": str(document_id),
                "tenant_id": str(tenant_id),
                "candidate_id": str(candidate_id),
                "content": Binary(content),
                "text": None,
                "sealed": sealed,
            }
        )

    @unreachable
    async def get_file(
        self, tenant_id: UUID, document_id: UUID, *, text_only: bool = False
    ) -> dict[str, Any] | None:
        """The stored document, only the tenant's; `text_only` leaves the content out."""
        projection = {"content": 0} if text_only else None
        doc = await self.db[FILES].find_one({"_id": str(document_id)}, projection=projection)
        return doc if doc is not None and doc.get("tenant_id") == str(tenant_id) else None

    @unreachable
    async def set_file_text(self, document_id: UUID, text: str) -> None:
        await self.db[FILES].update_one({"_id": str(document_id)}, {"$set": {"text": text}})

    @unreachable
    async def files_in_clear(self, limit: int) -> list[dict[str, Any]]:
        """Files stored before encryption at rest (no `sealed` mark), a batch at a time."""
        cursor = self.db[FILES].find({"sealed": {"$ne": True}}).limit(limit)
        return [doc async for doc in cursor]

    @unreachable
    async def replace_file_content(
        self, document_id: UUID, content: bytes, text: str | None
    ) -> None:
        await self.db[FILES].update_one(
            {"_id": str(document_id)},
            {"$set": {"content": Binary(content), "text": text, "sealed": True}},
        )

    @unreachable
    async def delete_files(self, document_ids: Iterable[UUID]) -> None:
        for document_id in document_ids:
            await self.db[FILES].delete_one({"_id": str(document_id)})

    @unreachable
    async def delete_files_of(self, tenant_id: UUID, candidate_id: UUID) -> int:
        done = await self.db[FILES].delete_many(
            {"tenant_id": str(tenant_id), "candidate_id": str(candidate_id)}
        )
        return done.deleted_count

    @unreachable
    async def delete_profile(self, candidate_id: UUID) -> None:
        await self.db[PROFILES].delete_one({"_id": str(candidate_id)})

    @unreachable
    async def get_profiles(self, tenant_id: UUID, ids: Iterable[UUID]) -> dict[str, dict[str, Any]]:
        """Profiles by candidate id, only the tenant's.

        One lookup per id, each filtering on `_id` alone: that is the filter FerretDB turns
        into an index search, where an `$in` or a second condition scans the collection.
        """
        wanted = list(dict.fromkeys(str(i) for i in ids))
        found = await asyncio.gather(*(self.db[PROFILES].find_one({"_id": i}) for i in wanted))
        out: dict[str, dict[str, Any]] = {}
        for doc in found:
            if doc is None or doc.pop("tenant_id", None) != str(tenant_id):
                continue
            out[str(doc.pop("_id"))] = doc
        return out
