from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from core.errors import InvalidCommand
from gateway.pagination import BadCursor, decode_cursor, encode_cursor


def test_cursor_round_trips() -> None:
    values = ["2026-11-26T10:00:00+00:00", "5f0c6f1e-0000-4000-8000-000000000001"]
    assert decode_cursor(encode_cursor(values)) == values


@pytest.mark.parametrize("bad", ["not-a-cursor!", "e30", "%%%%"])
def test_foreign_cursor_is_a_400(bad: str) -> None:
    with pytest.raises(BadCursor) as info:
        decode_cursor(bad)
    assert info.value.status == 400


def test_a_list_cursor_must_be_its_sort_a_zoned_time_or_a_number_and_an_id() -> None:
    from gateway.pagination import decode_list_cursor, encode_list_cursor

    when = datetime(2026, 11, 26, 10, tzinfo=UTC)
    good = encode_list_cursor("-updated_at", (when, uuid.UUID(ID)))
    assert decode_list_cursor(good, "-updated_at") == (when, uuid.UUID(ID))
    assert decode_list_cursor(encode_list_cursor("default", (7, uuid.UUID(ID))), "default") == (
        7,
        uuid.UUID(ID),
    )
    for values in (
        ["-updated_at", "2026-11-26T10:00:00", ID],  # no zone
        ["-updated_at", "0001-01-01T00:00:00+01:00", ID],  # year 0
        ["-updated_at", "2026-11-26T10:00:00+00:00", ID, "x"],
        ["-updated_at", "2026-11-26T10:00:00+00:00"],
        ["2026-11-26T10:00:00+00:00", ID],  # a cursor of before sorts
        ["-updated_at", True, ID],
        ["-updated_at", -1, ID],
        ["-updated_at", 1.5, ID],
        ["-updated_at", "2026-11-26T10:00:00+00:00", "not-a-uuid"],
        ["sideways", "2026-11-26T10:00:00+00:00", ID],
    ):
        with pytest.raises(BadCursor):
            decode_list_cursor(encode_cursor(values), "-updated_at")


def test_a_list_cursor_fits_only_the_sort_it_was_made_for() -> None:
    from gateway.pagination import decode_list_cursor, encode_list_cursor

    made = encode_list_cursor("created_at", (datetime(2026, 1, 1, tzinfo=UTC), uuid.UUID(ID)))
    for other in ("-created_at", "updated_at", "-updated_at", "default"):
        with pytest.raises(BadCursor) as info:
            decode_list_cursor(made, other)
        assert "created_at" in info.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-29T10:00:00Z", datetime(2026, 11, 29, 10, tzinfo=UTC)),
        ("2026-11-29t10:00:00.5z", datetime(2026, 11, 29, 10, 0, 0, 500000, tzinfo=UTC)),
        ("2026-11-29T12:00:00+02:00", datetime(2026, 11, 29, 10, tzinfo=UTC)),
        ("0001-01-01T00:00:00+01:00", datetime.min.replace(tzinfo=UTC)),
        ("0000-06-01T00:00:00Z", datetime.min.replace(tzinfo=UTC)),
        ("9999-12-31T23:59:59-01:00", datetime.max.replace(tzinfo=UTC)),
    ],
)
def test_since_takes_rfc3339_times(text: str, expected: datetime) -> None:
    from gateway.pagination import parse_rfc3339

    assert parse_rfc3339("updated_since", text) == expected


@pytest.mark.parametrize(
    "text",
    ["2026-11-29", "2026-11-29T10:00:00", "1700000000", "yesterday", "2026-02-30T10:00:00Z", ""],
)
def test_since_refuses_anything_else_naming_the_field(text: str) -> None:
    from gateway.pagination import parse_rfc3339

    with pytest.raises(InvalidCommand) as info:
        parse_rfc3339("created_since", text)
    assert info.value.status == 422
    assert "created_since" in info.value.extra["errors"]


def test_ids_are_at_most_200_uuids() -> None:
    from gateway.pagination import parse_ids

    ids = [str(uuid.uuid4()) for _ in range(201)]
    assert parse_ids(",".join(ids[:200])) == tuple(uuid.UUID(i) for i in ids[:200])
    assert parse_ids(f"{ids[0]}, {ids[0]}") == (uuid.UUID(ids[0]),)
    assert parse_ids(None) is None
    for bad in (",".join(ids), f"{ids[0]},nope"):
        with pytest.raises(InvalidCommand) as info:
            parse_ids(bad)
        assert "ids" in info.value.extra["errors"]


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
