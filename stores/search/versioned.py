"""Bulk writes of versioned documents, shared by every index fed from events."""

from __future__ import annotations

from typing import Any

from opensearchpy import AsyncOpenSearch


async def index_versioned(
    client: AsyncOpenSearch, index: str, docs: list[dict[str, Any]], *, versioned: bool = True
) -> None:
    """Index documents; a document's version only moves forward (an older one is ignored).

    `versioned=False` writes them as they are: a repair from the stores of record.
    """
    if not docs:
        return
    body: list[dict[str, Any]] = []
    for doc in docs:
        action: dict[str, Any] = {"_index": index, "_id": doc["id"]}
        if versioned:
            action.update(version=doc["version"], version_type="external_gte")
        body.append({"index": action})
        body.append(doc)
    result = await client.bulk(body=body)
    if result.get("errors"):
        failures = [
            item["index"]
            for item in result["items"]
            # 409: an equal or newer version is already there, which is what we want.
            if item["index"].get("status", 200) >= 300 and item["index"]["status"] != 409
        ]
        if failures:
            raise RuntimeError(f"bulk indexing into {index} failed: {failures[:3]}")
