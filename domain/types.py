"""The constrained types every record shares: country and currency codes, money, fractions.

One definition each, so a currency is the same three letters on a candidate's rate, a
requisition's bill rate, a placement and a search filter. Codes are accepted in either
case and kept upper-case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

CENTS = Decimal("0.01")
# A character pydantic's `strip_whitespace` keeps (it strips Unicode White_Space, which
# has NEL, U+0085, that JSON Schema's `\s` lacks).
NOT_BLANK_PATTERN = r"[^\s\x85]"


@dataclass(frozen=True, slots=True)
class NotBlank:
    """Says in the JSON Schema what `strip_whitespace` and `min_length=1` enforce
    together: the text has a character that is not blank (a schema alone would accept
    "   ", which the validator strips to nothing and refuses)."""

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["pattern"] = NOT_BLANK_PATTERN
        return schema


NOT_BLANK = NotBlank()
FRACTION_SCALE = Decimal("0.0001")


def _letter_code(length: int, what: str) -> Callable[[Any], Any]:
    """Read a code of `length` letters in any case, or say what was expected."""

    def read(value: Any) -> Any:
        if not isinstance(value, str):
            return value  # the string check that follows says what is wrong
        code = value.strip()
        if len(code) != length or not (code.isascii() and code.isalpha()):
            raise ValueError(f"should be {what}")
        return code.upper()

    return read


CountryCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{2}$"),
    BeforeValidator(_letter_code(2, "a two-letter ISO 3166-1 country code, such as DE")),
    Field(description="ISO 3166-1 alpha-2 country code, e.g. DE (any case; kept upper-case)"),
]
CurrencyCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{3}$"),
    BeforeValidator(_letter_code(3, "a three-letter ISO 4217 currency code, such as EUR")),
    Field(description="ISO 4217 currency code, e.g. EUR (any case; kept upper-case)"),
]
# What the OpenAPI document says of a decimal: pydantic's own schema ("a number or any
# string") hides the bounds the validators enforce. A client sends a decimal string of at
# most 10 digits before the point and 2 after (4 for a fraction), or a whole number; the
# API writes decimal strings. (A JSON number with a fraction is read too, but no schema
# can bound its digits: a float such as 0.1 has no exact decimal.)
DECIMAL_OUT = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$"}


def _decimal_in(pattern: str, minimum: int, maximum: int, example: str) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": pattern},
                {"type": "integer", "minimum": minimum, "maximum": maximum},
            ],
            "examples": [example],
        },
        mode="validation",
    )


Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2),
    # One scale everywhere, so a response and a later read print the same "90.00".
    AfterValidator(lambda d: d.quantize(CENTS)),
    _decimal_in(r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$", 0, 9_999_999_999, "90.00"),
    WithJsonSchema(DECIMAL_OUT, mode="serialization"),
]
PositiveAmount = Annotated[
    Decimal,
    Field(gt=0, max_digits=12, decimal_places=2),
    _decimal_in(
        r"^([1-9][0-9]{0,9}(\.[0-9]{1,2})?|0\.(0[1-9]|[1-9][0-9]?))$", 1, 9_999_999_999, "95.50"
    ),
    WithJsonSchema(DECIMAL_OUT, mode="serialization"),
]
"""An amount a person asks for (a desired rate or salary), kept as written."""
Fraction = Annotated[
    Decimal,
    Field(ge=0, le=1, max_digits=5, decimal_places=4, description="0.2 means 20 %"),
    AfterValidator(lambda d: d.quantize(FRACTION_SCALE)),
    _decimal_in(r"^(0(\.[0-9]{1,4})?|1(\.0{1,4})?)$", 0, 1, "0.2000"),
    WithJsonSchema(DECIMAL_OUT, mode="serialization"),
]
"""A share such as a fee percent, as a fraction of one."""


def _in_utc(moment: datetime) -> datetime:
    # A time without an offset is read as UTC (the API's times are UTC), so every stored
    # instant can be compared with every other.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


UtcDateTime = Annotated[
    datetime,
    AfterValidator(_in_utc),
    Field(description="RFC 3339; a time without an offset is taken as UTC"),
]
"""An instant, kept in UTC."""
