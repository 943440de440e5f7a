"""Personal fields sealed in place: opened only with the person's key, bound to where they
belong, and unreadable once the key is gone."""

from __future__ import annotations

import uuid

import pytest

from core import crypto
from topics import personal, sealing
from topics.sealing import has_sealed, open_fields, seal_fields

TENANT, ADA, GRACE = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
CREATE = personal.COMMANDS["candidate.create"].paths


def _candidate() -> dict[str, object]:
    return {
        "candidate_id": str(ADA),
        "first_name": "Ada",
        "last_name": "Lovelace",
        "emails": ["ada@example.com"],
        "phones": [],
        "skills": [{"name": "python"}],
        "location": {"city": "London", "country": "GB"},
    }


def test_sealed_fields_say_nothing_and_open_with_the_key() -> None:
    key = crypto.new_key()
    body = _candidate()
    sealed = seal_fields(body, CREATE, key, TENANT, ADA)
    text = str(sealed)
    for secret in ("Ada", "Lovelace", "ada@example.com", "London"):
        assert secret not in text
    # What routing and analytics read stays readable; empty values stay empty.
    assert sealed["skills"] == [{"name": "python"}]
    assert sealed["phones"] == []
    assert sealed["candidate_id"] == str(ADA)
    assert body["first_name"] == "Ada", "the body given is left untouched"
    assert has_sealed(sealed, CREATE)
    opened, whole = open_fields(sealed, CREATE, key, TENANT, ADA)
    assert whole
    assert opened == body


def test_without_the_key_personal_values_read_as_absent() -> None:
    sealed = seal_fields(_candidate(), CREATE, crypto.new_key(), TENANT, ADA)
    opened, whole = open_fields(sealed, CREATE, None, TENANT, ADA)
    assert not whole
    assert opened["first_name"] is None
    assert opened["emails"] is None
    assert opened["skills"] == [{"name": "python"}]


def test_a_sealed_value_does_not_open_for_another_person_or_field() -> None:
    key = crypto.new_key()
    sealed = seal_fields(_candidate(), CREATE, key, TENANT, ADA)
    _, whole = open_fields(sealed, CREATE, key, TENANT, GRACE)
    assert not whole
    swapped = {**sealed, "first_name": sealed["last_name"]}
    opened, whole = open_fields(swapped, CREATE, key, TENANT, ADA)
    assert not whole
    assert opened["first_name"] is None


def test_paths_reach_into_lists_and_nested_objects() -> None:
    key = crypto.new_key()
    paths = personal.EVENTS["submission.stage_changed"].paths
    data = {"stage": "rejected", "history": [{"to": "sourced"}, {"to": "rejected", "reason": "x"}]}
    sealed = seal_fields(data, paths, key, TENANT, ADA)
    assert sealed["history"][0] == {"to": "sourced"}
    assert str(sealed["history"][1]["reason"]).startswith(crypto.TEXT_PREFIX)
    assert open_fields(sealed, paths, key, TENANT, ADA) == (data, True)


def test_unsealed_values_pass_through_opening() -> None:
    body = _candidate()
    assert open_fields(body, CREATE, None, TENANT, ADA) == (body, True)


def test_open_refuses_what_is_not_a_sealed_value() -> None:
    key = crypto.new_key()
    with pytest.raises(crypto.CannotOpen):
        crypto.open_text(key, "rt1:!!notbase64", b"ctx")
    with pytest.raises(crypto.CannotOpen):
        crypto.open_text(key, crypto.seal_text(crypto.new_key(), "x", b"ctx"), b"ctx")


def test_blind_index_is_keyed() -> None:
    one, two = crypto.new_key(), crypto.new_key()
    assert crypto.blind_index(one, "ada@example.com") == crypto.blind_index(one, "ada@example.com")
    assert crypto.blind_index(one, "ada@example.com") != crypto.blind_index(two, "ada@example.com")


@pytest.mark.parametrize(
    "paths",
    [
        *(spec.paths for spec in personal.COMMANDS.values()),
        *(spec.paths for spec in personal.EVENTS.values()),
        *(spec.paths for spec in personal.BATCH_COMMANDS.values()),
        *(spec.paths for spec in personal.BATCH_EVENTS.values()),
        ("a", "a.b"),  # one path ends where another goes on: walked path by path
    ],
)
def test_the_one_pass_walk_changes_what_the_path_by_path_walk_does(
    paths: tuple[str, ...],
) -> None:
    body: dict[str, object] = {
        "a": {"b": "x"},
        "first_name": "Ada",
        "emails": ["ada@example.com"],
        "changes": {"first_name": "Ada", "end_reason": "moved"},
        "history": [{"reason": "r"}, "odd", {"to": "x"}],
        "rows": [{"first_name": "Ada", "location": {"city": "L"}}, 3],
        "events": [{"data": {"last_name": "L", "emails": []}}, {"nodata": 1}],
        "body": "note",
        "filename": "cv.pdf",
        "text": None,
    }

    def mark(value: object, path: str) -> object:
        return ["changed", path, value]

    by_path: dict[str, object] = dict(body)
    for path in paths:
        by_path = sealing._walk(by_path, path.split("."), "", mark)
    assert sealing.transform(body, paths, mark) == by_path
    key = crypto.new_key()
    sealed = seal_fields(body, paths, key, TENANT, ADA)
    assert open_fields(sealed, paths, key, TENANT, ADA) == (body, True)
    assert has_sealed(sealed, paths) == (sealed != body)
