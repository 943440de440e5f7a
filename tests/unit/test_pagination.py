from __future__ import annotations

import pytest

from gateway.pagination import BadCursor, decode_cursor, encode_cursor


def test_cursor_round_trips() -> None:
    values = ["2026-11-26T10:00:00+00:00", "5f0c6f1e-0000-4000-8000-000000000001"]
    assert decode_cursor(encode_cursor(values)) == values


@pytest.mark.parametrize("bad", ["not-a-cursor!", "e30", "%%%%"])
def test_foreign_cursor_is_a_400(bad: str) -> None:
    with pytest.raises(BadCursor) as info:
        decode_cursor(bad)
    assert info.value.status == 400
