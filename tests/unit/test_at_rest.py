"""Contact points at rest: sealed values bound to their person and field, blind indexes that
match equal values under one key only, the match keys of the duplicate finder, and the
setting that turns sealing off for a measurement and nowhere else."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from core import crypto
from core.settings import Settings
from domain.duplicates import match_keys
from stores.at_rest import BlindIndex, has_sealed, open_fields, seal_fields

TENANT, ADA, GRACE = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
FIELDS = ("emails", "phones")


def _record() -> dict[str, object]:
    return {"id": ADA, "emails": ["ada@example.com"], "phones": ["+442071838750"], "x": 1}


def test_sealed_contact_points_hide_the_values_and_open_with_the_key() -> None:
    key = crypto.new_key()
    sealed = seal_fields(_record(), FIELDS, key, TENANT, ADA)
    assert "ada@example.com" not in str(sealed)
    assert "2071838750" not in str(sealed)
    assert all(crypto.is_sealed_text(v) for v in [*sealed["emails"], *sealed["phones"]])
    assert sealed["x"] == 1
    assert has_sealed(sealed, FIELDS)
    assert not has_sealed(_record(), FIELDS)
    opened, whole = open_fields(sealed, FIELDS, key, TENANT, ADA)
    assert whole
    assert opened == _record()
    # Sealing twice does not seal a sealed value again.
    assert seal_fields(sealed, FIELDS, key, TENANT, ADA) == sealed


def test_a_value_moved_to_another_person_or_field_or_without_a_key_does_not_open() -> None:
    key = crypto.new_key()
    sealed = seal_fields(_record(), FIELDS, key, TENANT, ADA)
    moved = {"emails": sealed["phones"], "phones": sealed["emails"]}
    for row, subject, k in ((sealed, GRACE, key), (moved, ADA, key), (sealed, ADA, None)):
        opened, whole = open_fields(row, FIELDS, k, TENANT, subject)
        assert not whole
        assert opened["emails"] == []
        assert opened["phones"] == []


def test_a_value_of_one_field_reads_as_none_when_it_does_not_open() -> None:
    key = crypto.new_key()
    contact = {"email": "bill@initech.example", "phone": None}
    sealed = seal_fields(contact, ("email", "phone"), key, TENANT, ADA)
    assert sealed["phone"] is None
    opened, whole = open_fields(sealed, ("email", "phone"), crypto.new_key(), TENANT, ADA)
    assert (opened["email"], whole) == (None, False)


def test_values_from_before_sealing_pass_through() -> None:
    opened, whole = open_fields(_record(), FIELDS, None, TENANT, ADA)
    assert whole
    assert opened == _record()


def test_blind_indexes_match_equal_values_under_one_key_only() -> None:
    one = BlindIndex(TENANT, 1, crypto.new_key())
    two = BlindIndex(TENANT, 2, crypto.new_key())
    assert one.point("email", "ada@example.com") == one.point("email", "ada@example.com")
    assert one.point("email", "ada@example.com") != one.point("email", "ada@example.org")
    assert one.point("email", "ada@example.com") != two.point("email", "ada@example.com")
    assert "ada" not in one.point("email", "ada@example.com")
    # Match keys hash their kind in: a phone tail never meets an e-mail local part.
    assert one.match("phone_tail", "1234567") != one.match("email_local", "1234567")
    # Without a key (sealing off, or from before it) a digest is the value itself.
    clear = BlindIndex(TENANT, 0, None)
    assert clear.points([("email", "ada@example.com")]) == [(TENANT, "email", "ada@example.com")]


def test_match_rows_carry_the_version_and_find_tails_domains_and_names() -> None:
    index = BlindIndex(TENANT, 3, crypto.new_key())
    keys = match_keys(["k.johnson@nasa.example", "kj@gmail.com"], ["+12025550147"])
    assert keys == {
        ("phone_tail", "5550147"),
        ("email_local", "kjohnson"),
        ("email_local", "kj"),
        ("email_domain", "nasa.example"),  # a public mail domain says nothing
    }
    rows = index.match_rows(ADA, ["k.johnson@nasa.example"], ["+442075550147"])
    assert {r["key_version"] for r in rows} == {3}
    other = index.match_rows(GRACE, ["dv@nasa.example"], ["+12025550147"])
    shared = {r["digest"] for r in rows} & {r["digest"] for r in other}
    tail, domain = ("phone_tail", "5550147"), ("email_domain", "nasa.example")
    assert shared == {index.match(*tail), index.match(*domain)}


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_sealing_can_be_turned_off_only_outside_staging_and_production(environment: str) -> None:
    assert Settings.model_validate({"PERSONAL_DATA_SEALING": "off"}).personal_data_sealing == "off"
    with pytest.raises(ValidationError) as info:
        Settings.model_validate(
            {
                "RT_ENV": environment,
                "JWT_SECRET": "s" * 48,
                "POSTGRES_PASSWORD": "p@ss/word",
                "PERSONAL_DATA_SEALING": "off",
            }
        )
    assert "PERSONAL_DATA_SEALING" in str(info.value)
