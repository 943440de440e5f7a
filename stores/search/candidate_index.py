"""The candidate index: its mapping and settings, versioned names behind one alias."""

from __future__ import annotations

from typing import Any

from opensearchpy import AsyncOpenSearch

from domain.pipeline import PIPELINE_STAGES
from stores.search.nearby import LOCATION_MAPPING
from stores.search.sizing import IndexSizing

# 2: `location.point` (a geo_point, for radius searches). The field is added to an
# existing index at start (aliases.ensure_alias); `refactortrack reindex` fills it in
# for the documents written before, into a new index of this version.
# 3: `work_descriptions` (the work history's descriptions, searched by a bare word), added
# and filled in the same way.
# 4: the facet fields keep their global ordinals built at each refresh (`eager_global_
# ordinals`), not at the first facet count after it. Put on the live index at start (the
# setting can change in place); no reindex needed.
# 5: `all_text`, every field a bare word searches in one (`copy_to`), so a word is one
# term of one field rather than one per field (query_dsl.CANDIDATE_FIELDS). Added to the
# live index at start; `refactortrack reindex` fills it in for the documents written before.
CANDIDATE_INDEX_VERSION = 5

# Where a bare word looks (query_dsl.CANDIDATE_FIELDS.combined): the text of the fields
# below, copied into one field at indexing. At a million candidates a search spends its
# time visiting each clause's matches, and a skill word was a clause per field (nine text
# fields and four keys); in one field the word is one posting list to walk. The fields
# keep their own postings too, for `field:value`, highlights and the boosted few.
ALL_TEXT = "all_text"
_INTO_ALL: dict[str, Any] = {"copy_to": ALL_TEXT}

# A field the first page's facets count (query_dsl.FACETS). Counting terms needs the
# index-wide ordinals of the field's values; built lazily, the first facet request after
# each refresh (every SEARCH_REFRESH_INTERVAL while candidates change) would wait for them.
FACET_KEYWORD: dict[str, Any] = {"type": "keyword", "eager_global_ordinals": True}

CANDIDATE_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "tenant_id": {"type": "keyword"},
        "id": {"type": "keyword"},
        ALL_TEXT: {"type": "text", "analyzer": "english"},
        "full_name": {"type": "text", "analyzer": "english", **_INTO_ALL},
        "first_name": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
        "last_name": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
        "headline": {"type": "text", "analyzer": "english", **_INTO_ALL},
        "skills": {
            "type": "text",
            "analyzer": "english",
            "fields": {"raw": {"type": "keyword"}},
            **_INTO_ALL,
        },
        "emails": {"type": "keyword"},
        "tags": FACET_KEYWORD,
        "status": FACET_KEYWORD,
        "owner_id": {"type": "keyword"},
        "source": {"type": "keyword"},
        "city": FACET_KEYWORD,
        "country": FACET_KEYWORD,
        "remote": {"type": "boolean"},
        "location": LOCATION_MAPPING,
        "available_from": {"type": "date"},
        "created_at": {"type": "date"},
        "updated_at": {"type": "date"},
        "version": {"type": "integer"},
        "resume_text": {"type": "text", "analyzer": "english", **_INTO_ALL},
        "skill_keys": FACET_KEYWORD,
        # Skills mentioned in the headline, the work history and the resume, by key.
        "headline_skill_keys": {"type": "keyword"},
        "work_skill_keys": {"type": "keyword"},
        "resume_skill_keys": {"type": "keyword"},
        "willing_to_relocate": {"type": "boolean"},
        # Read by matching (a role that sponsors no visa), never searched.
        "work_authorization": {"type": "keyword", "index": False},
        "employers": {"type": "text", "fields": {"raw": {"type": "keyword"}}, **_INTO_ALL},
        "work_titles": {"type": "text", "analyzer": "english", **_INTO_ALL},
        "work_descriptions": {"type": "text", "analyzer": "english", **_INTO_ALL},
        "skill_years": {"type": "object", "enabled": False},
        "rate_amount": {"type": "scaled_float", "scaling_factor": 100},
        "rate_currency": {"type": "keyword"},
        "rate_unit": {"type": "keyword"},
        "salary_amount": {"type": "scaled_float", "scaling_factor": 100},
        "salary_currency": {"type": "keyword"},
        # Folded in from the pipeline's events (see candidate_scripts.PIPELINE_SCRIPT):
        # each submission's stage and version, kept but not indexed, and the counts
        # derived from them.
        "submissions": {"type": "object", "enabled": False},
        "stage_counts": {"properties": {stage: {"type": "integer"} for stage in PIPELINE_STAGES}},
        "stages": FACET_KEYWORD,
        "active_submissions": {"type": "integer"},
    },
}


def candidate_index_body(refresh_interval: str, sizing: IndexSizing) -> dict[str, Any]:
    """Settings and mappings of a new candidate index."""
    return {
        "settings": {**sizing.settings(), "refresh_interval": refresh_interval},
        "mappings": CANDIDATE_MAPPINGS,
    }


async def create_loading_index(client: AsyncOpenSearch, index: str, sizing: IndexSizing) -> None:
    """A new candidate index to bulk-load: refreshing while loading only slows the load."""
    await client.indices.create(index=index, body=candidate_index_body("-1", sizing))


async def open_for_search(client: AsyncOpenSearch, index: str, refresh_interval: str) -> None:
    """A loaded index refreshes like any other from now on, and shows what it holds."""
    await client.indices.put_settings(
        index=index, body={"index": {"refresh_interval": refresh_interval}}
    )
    await client.indices.refresh(index=index)


# Lucene's merge policy leaves segments up to about this size alone (TieredMergePolicy's
# max_merged_segment): a forced merge into larger ones would leave them unmerged for good,
# deletes and all, so an index is merged into as many segments as that takes per shard.
MERGED_SEGMENT_BYTES = 5 * 1024**3
# A forced merge of a large index runs for minutes; the node answers when it is done.
MERGE_TIMEOUT_SECONDS = 3600


def segments_per_shard(stored_bytes: int, shards: int) -> int:
    """Into how many segments each shard of an index this size is merged."""
    return max(1, -(-stored_bytes // (shards * MERGED_SEGMENT_BYTES)))


async def merge_segments(client: AsyncOpenSearch, index: str) -> int:
    """Merge a loaded index's segments into as few as the merge policy keeps; returns
    how many segments it has now.

    A bulk load leaves tens of segments per shard (36 after a million candidates, bench
    --search-at), and every query pays per segment: each term is looked up in each
    segment's dictionary and each segment is searched in turn. Merged, a search reads one
    per shard (or one per 5 GB). Meant right after a load (`refactortrack reindex` does it
    before the alias moves; `refactortrack optimise-search` after a big import): merging
    an index that keeps changing only makes segments the policy then rewrites.
    """
    # What the load still holds in memory becomes a segment first, so it is merged too.
    await client.indices.refresh(index=index)
    stats = await client.indices.stats(index=index, metric="store")
    found = await client.indices.get_settings(index=index, name="index.number_of_shards")
    shards = sum(int(i["settings"]["index"]["number_of_shards"]) for i in found.values())
    stored = sum(i["primaries"]["store"]["size_in_bytes"] for i in stats["indices"].values())
    per_shard = segments_per_shard(stored, shards)
    await client.indices.forcemerge(
        index=index, max_num_segments=per_shard, request_timeout=MERGE_TIMEOUT_SECONDS
    )
    await client.indices.refresh(index=index)
    return len(await client.cat.segments(index=index, format="json"))


async def move_alias(client: AsyncOpenSearch, alias: str, index: str) -> list[str]:
    """Point `alias` at `index` alone, in one atomic step; returns the indexes it left."""
    old = list(await client.indices.get_alias(name=alias))
    actions: list[dict[str, Any]] = [{"remove": {"index": i, "alias": alias}} for i in old]
    actions.append({"add": {"index": index, "alias": alias}})
    await client.indices.update_aliases(body={"actions": actions})
    return old


async def delete_index(client: AsyncOpenSearch, index: str) -> None:
    await client.indices.delete(index=index)
