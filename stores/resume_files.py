"""Resume files at rest: the content and the text read from it, sealed with the candidate's
person key in MongoDB.

A file is sealed with the key of the candidate it was uploaded for (the document's
`candidate_id` in MongoDB, which a merge does not change) and bound to the agency, that
candidate and the document, so erasing the person shreds every copy, a backup's included.
What Postgres keeps of a document (name, size, the SHA-256 of the plaintext) is unchanged.
A file stored before encryption at rest is read as it is until `refactortrack keys
backfill` seals it.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from core import crypto
from stores.keyring import Keyring
from stores.mongo import MongoStore


def file_context(tenant_id: UUID, candidate_id: UUID, document_id: UUID, part: str) -> bytes:
    return f"rt/file/{tenant_id}/{candidate_id}/{document_id}/{part}".encode()


class ResumeFiles:
    def __init__(self, mongo: MongoStore, keys: Keyring) -> None:
        self._mongo = mongo
        self._keys = keys

    async def _key_of(self, tenant_id: UUID, candidate_id: UUID, *, create: bool) -> bytes | None:
        return await self._keys.person(
            tenant_id, candidate_id, create_as="candidate" if create else None
        )

    async def put(
        self, tenant_id: UUID, candidate_id: UUID, document_id: UUID, content: bytes
    ) -> None:
        if not self._keys.sealing:
            await self._mongo.put_file(tenant_id, candidate_id, document_id, content, sealed=False)
            return
        key = await self._key_of(tenant_id, candidate_id, create=True)
        assert key is not None
        context = file_context(tenant_id, candidate_id, document_id, "content")
        sealed = crypto.seal(key, content, context)
        await self._mongo.put_file(tenant_id, candidate_id, document_id, sealed, sealed=True)

    async def _opened(
        self, tenant_id: UUID, document_id: UUID, doc: dict[str, Any], part: str
    ) -> Any:
        """The document's `part` opened; None when its person's key is gone (erased)."""
        value = doc.get(part)
        if value is None or not doc.get("sealed"):
            return value
        candidate_id = UUID(doc["candidate_id"])
        key = await self._key_of(tenant_id, candidate_id, create=False)
        if key is None:
            return None
        context = file_context(tenant_id, candidate_id, document_id, part)
        try:
            if part == "content":
                return crypto.open_sealed(key, bytes(value), context)
            return crypto.open_text(key, value, context)
        except crypto.CannotOpen:
            return None

    async def content(self, tenant_id: UUID, document_id: UUID) -> bytes | None:
        """The file as uploaded; None when there is none (or it no longer opens)."""
        doc = await self._mongo.get_file(tenant_id, document_id)
        if doc is None:
            return None
        found = await self._opened(tenant_id, document_id, doc, "content")
        return bytes(found) if found is not None else None

    async def text(self, tenant_id: UUID, document_id: UUID) -> str | None:
        """The text read from the file; None when the file is gone or not read yet."""
        doc = await self._mongo.get_file(tenant_id, document_id, text_only=True)
        if doc is None:
            return None
        found = await self._opened(tenant_id, document_id, doc, "text")
        return found if isinstance(found, str) else None

    async def set_text(self, tenant_id: UUID, document_id: UUID, text: str) -> None:
        """Store the text read from the file beside it, sealed as the file is."""
        doc = await self._mongo.get_file(tenant_id, document_id, text_only=True)
        if doc is None:
            return
        if doc.get("sealed"):
            candidate_id = UUID(doc["candidate_id"])
            key = await self._key_of(tenant_id, candidate_id, create=True)
            assert key is not None
            context = file_context(tenant_id, candidate_id, document_id, "text")
            text = crypto.seal_text(key, text, context)
        await self._mongo.set_file_text(document_id, text)

    async def seal_stored(self, doc: dict[str, Any]) -> None:
        """Seal a file stored in the clear (before encryption at rest): the backfill."""
        if doc.get("sealed"):
            return
        tenant_id, candidate_id = UUID(doc["tenant_id"]), UUID(doc["candidate_id"])
        document_id = UUID(doc["_id"])
        key = await self._key_of(tenant_id, candidate_id, create=True)
        assert key is not None
        content = crypto.seal(
            key,
            bytes(doc["content"]),
            file_context(tenant_id, candidate_id, document_id, "content"),
        )
        text = doc.get("text")
        if isinstance(text, str):
            text = crypto.seal_text(
                key, text, file_context(tenant_id, candidate_id, document_id, "text")
            )
        await self._mongo.replace_file_content(document_id, content, text)
