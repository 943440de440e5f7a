"""The codec's bytes for keeping: the same JSON, without orjson's spare buffer."""

from __future__ import annotations

import tracemalloc
from decimal import Decimal

from core import jsoncodec


def test_kept_bytes_are_the_same_json() -> None:
    value = {"rate": Decimal("12.50"), "tags": {"b", "a"}, "name": "Ada"}
    assert jsoncodec.dumps_kept(value) == jsoncodec.dumps(value)
    assert jsoncodec.loads(jsoncodec.dumps_kept(value)) == {
        "rate": "12.50",
        "tags": ["a", "b"],
        "name": "Ada",
    }


def test_kept_bytes_hold_about_their_length() -> None:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [jsoncodec.dumps_kept({"i": i, "text": "x" * 300}) for i in range(2000)]
        per_item = (tracemalloc.get_traced_memory()[0] - before) / len(kept)
    finally:
        tracemalloc.stop()
    assert per_item < 2 * len(kept[0]) + 100
