"""What a search page reads of each hit, and how far a loaded index is merged."""

from __future__ import annotations

from gateway.routes.search import CandidateHit
from stores.search.candidate_index import MERGED_SEGMENT_BYTES, segments_per_shard
from stores.search.candidate_queries import PAGE_SOURCE

# Filled from the hit's metadata, not from its document.
NOT_STORED = {"score", "highlights", "reasons", "distance_km"}


def test_a_page_reads_every_field_a_hit_shows() -> None:
    shown = set(CandidateHit.model_fields) - NOT_STORED
    assert shown <= set(PAGE_SOURCE)
    # The point a hit's distance is measured to.
    assert "location.point" in PAGE_SOURCE


def test_a_page_leaves_the_large_fields_behind() -> None:
    assert not {"resume_text", "work_history", "submissions"} & set(PAGE_SOURCE)


def test_an_index_is_merged_into_one_segment_per_shard_up_to_the_policys_size() -> None:
    assert segments_per_shard(700 * 1024**2, 1) == 1
    assert segments_per_shard(0, 2) == 1
    assert segments_per_shard(MERGED_SEGMENT_BYTES * 2, 2) == 1
    assert segments_per_shard(MERGED_SEGMENT_BYTES * 2 + 1, 2) == 2
    assert segments_per_shard(MERGED_SEGMENT_BYTES * 12, 1) == 12
