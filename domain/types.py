"""The constrained types every record shares: country and currency codes, money, fractions.

One definition each, so a currency is the same three letters on a candidate's rate, a
requisition's bill rate, a placement and a search filter. Codes are accepted in either
case and kept upper-case.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

CENTS = Decimal("0.01")
FRACTION_SCALE = Decimal("0.0001")

CountryCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$"),
    Field(description="ISO 3166-1 alpha-2 country code, e.g. DE"),
]
CurrencyCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{3}$"),
    Field(description="ISO 4217 currency code, e.g. EUR"),
]
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2),
    # One scale everywhere, so a response and a later read print the same "90.00".
    AfterValidator(lambda d: d.quantize(CENTS)),
]
PositiveAmount = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]
"""An amount a person asks for (a desired rate or salary), kept as written."""
Fraction = Annotated[
    Decimal,
    Field(ge=0, le=1, max_digits=5, decimal_places=4, description="0.2 means 20 %"),
    AfterValidator(lambda d: d.quantize(FRACTION_SCALE)),
]
"""A share such as a fee percent, as a fraction of one."""
