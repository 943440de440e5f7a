from __future__ import annotations

import pytest

from core.errors import InvalidCommand
from domain import contact_points as rules


def test_email_is_lower_cased_and_trimmed() -> None:
    assert rules.normalize_email("  Ada.Lovelace@Example.COM ") == "ada.lovelace@example.com"


@pytest.mark.parametrize("bad", ["", "ada", "ada@", "@example.com", "a b@example.com"])
def test_bad_email_is_rejected_with_the_field(bad: str) -> None:
    with pytest.raises(InvalidCommand) as info:
        rules.normalize_emails(["ada@example.com", bad])
    assert info.value.extra["field"] == "emails[1]"
    # Refusals are kept and shown to others: they name the place, not the value.
    assert bad not in info.value.message or not bad


@pytest.mark.parametrize("bad", ["call me 555", "12"])
def test_a_bad_phone_is_named_by_its_place_not_its_value(bad: str) -> None:
    with pytest.raises(InvalidCommand) as info:
        rules.normalize_phones([bad], "US")
    assert info.value.extra["field"] == "phones[0]"
    assert bad not in info.value.message


def test_phone_becomes_e164_in_the_default_region() -> None:
    assert rules.normalize_phone("(415) 555-2671", "US") == "+14155552671"
    assert rules.normalize_phone("030 1234567", "DE") == "+49301234567"


def test_international_phone_ignores_the_default_region() -> None:
    assert rules.normalize_phone("+44 20 7946 0958", "US") == "+442079460958"


@pytest.mark.parametrize("bad", ["call me", "12", "+"])
def test_bad_phone_is_rejected(bad: str) -> None:
    with pytest.raises(InvalidCommand):
        rules.normalize_phone(bad, "US")


def test_duplicates_within_one_candidate_collapse_in_order() -> None:
    assert rules.normalize_emails(["B@x.io", "a@x.io", "b@X.io"]) == ["b@x.io", "a@x.io"]


def test_contact_points_cover_emails_and_phones() -> None:
    assert rules.contact_points(["a@x.io"], ["+14155552671"]) == [
        ("email", "a@x.io"),
        ("phone", "+14155552671"),
    ]
