"""The shared constrained types: one definition of a country, a currency, money, a fraction."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from domain.types import CountryCode, CurrencyCode, Fraction, Money
from topics.candidates import Location, Rate
from topics.requisitions import Range, RequisitionLocation
from topics.saved_searches import SavedSearchFilters


class Codes(BaseModel):
    country: CountryCode
    currency: CurrencyCode
    money: Money
    share: Fraction


def test_codes_are_read_in_either_case_and_kept_upper_case() -> None:
    codes = Codes(country=" de ", currency="eur", money=Decimal("90"), share=Decimal("0.2"))
    assert (codes.country, codes.currency) == ("DE", "EUR")
    assert (str(codes.money), str(codes.share)) == ("90.00", "0.2000")


@pytest.mark.parametrize(
    ("field", "value"),
    [("country", "Germany"), ("country", "D"), ("country", "1A"), ("currency", "EURO")],
)
def test_what_is_not_a_code_is_refused(field: str, value: str) -> None:
    fields = {"country": "DE", "currency": "EUR", "money": 1, "share": 0, field: value}
    with pytest.raises(ValidationError):
        Codes.model_validate(fields)


def test_every_record_agrees_on_what_a_code_is() -> None:
    assert Location(country="de").country == RequisitionLocation(country="de").country == "DE"
    assert SavedSearchFilters(country="de", currency="eur").currency == "EUR"
    assert Rate(amount=Decimal("90"), currency="usd").currency == "USD"
    assert Range(min=Decimal(1), max=Decimal(2), currency="gbp").currency == "GBP"
