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


def test_a_page_cursor_must_be_a_zoned_time_and_an_id() -> None:
    from gateway.pagination import decode_page_cursor

    good = encode_cursor(["2026-11-26T10:00:00+00:00", "5f0c6f1e-0000-4000-8000-000000000001"])
    assert decode_page_cursor(good) is not None
    for values in (
        ["2026-11-26T10:00:00", "5f0c6f1e-0000-4000-8000-000000000001"],  # no zone
        ["0001-01-01T00:00:00+01:00", "5f0c6f1e-0000-4000-8000-000000000001"],  # year 0
        ["2026-11-26T10:00:00+00:00", "5f0c6f1e-0000-4000-8000-000000000001", "x"],
        ["2026-11-26T10:00:00+00:00"],
        [1, 2],
        ["2026-11-26T10:00:00+00:00", "not-a-uuid"],
    ):
        with pytest.raises(BadCursor):
            decode_page_cursor(encode_cursor(values))


ID = "5f0c6f1e-0000-4000-8000-000000000001"


@pytest.mark.parametrize(
    "values",
    [
        [],
        [1.5, 1700000000000],
        [1.5, 1700000000000, ID, "extra"],
        ["1.5", 1700000000000, ID],
        [True, 1700000000000, ID],
        [1.5, 1.5, ID],
        [1.5, 2**63, ID],
        [1.5, 1700000000000, "x"],
        [1.5, 1700000000000, {"id": ID}],
        [None, None, None],
    ],
)
def test_a_search_cursor_must_have_the_orders_shape(values: list[object]) -> None:
    from gateway.pagination import decode_search_cursor
    from stores.search.sorting import cursor_shape

    with pytest.raises(BadCursor) as info:
        decode_search_cursor(encode_cursor(list(values)), cursor_shape(recent_first=False))
    assert "next_cursor" in info.value.message


def test_a_search_cursor_fits_only_the_order_it_came_from() -> None:
    from gateway.pagination import decode_search_cursor
    from stores.search.sorting import cursor_shape

    relevance = encode_cursor([3.25, 1700000000000, ID])
    assert decode_search_cursor(relevance, cursor_shape(recent_first=False)) == [
        3.25,
        1700000000000,
        ID,
    ]
    assert decode_search_cursor(None, cursor_shape(recent_first=True)) is None
    with pytest.raises(BadCursor):
        decode_search_cursor(relevance, cursor_shape(recent_first=True))


def test_a_sequence_cursor_is_one_positive_whole_number() -> None:
    from gateway.pagination import decode_seq_cursor, encode_seq_cursor

    assert decode_seq_cursor(encode_seq_cursor(42)) == 42
    assert decode_seq_cursor(None) is None
    for values in ([], [0], [-1], [True], [1.5], ["7"], [1, 2], [2**63]):
        with pytest.raises(BadCursor):
            decode_seq_cursor(encode_cursor(values))
