"""Every index sits behind an alias: created on first start, kept current after."""

from __future__ import annotations

from typing import Any

from opensearchpy import AsyncOpenSearch


async def ensure_alias(
    client: AsyncOpenSearch, alias: str, index: str, body: dict[str, Any]
) -> None:
    """Point `alias` at `index` (created from `body`) unless the alias already exists.

    Once it exists (it may point at an index `reindex` built), the refresh interval
    follows the configuration and fields added to the mapping since are added to the
    index behind it; anything else changes only through a reindex.
    """
    if await client.indices.exists_alias(name=alias):
        refresh = body.get("settings", {}).get("refresh_interval")
        if refresh is not None:
            await client.indices.put_settings(
                index=alias, body={"index": {"refresh_interval": refresh}}
            )
        await client.indices.put_mapping(index=alias, body=body["mappings"])
        return
    if not await client.indices.exists(index=index):
        try:
            await client.indices.create(index=index, body=body)
        except Exception as exc:  # another process created it first
            if "resource_already_exists" not in str(exc):
                raise
    await client.indices.update_aliases(
        body={"actions": [{"add": {"index": index, "alias": alias}}]}
    )
