"""Emails and phones: normalised (lower-case, E.164) and the duplicate keys they make."""

from __future__ import annotations

import re
from collections.abc import Iterable

import phonenumbers

from core.errors import InvalidCommand

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# Refusals name the field and position, never the value: they are kept in the ledger and
# shown to other people of the agency, and an address is personal data.


def normalize_email(raw: str, field: str = "email") -> str:
    email = raw.strip().lower()
    if not _EMAIL.match(email):
        raise InvalidCommand(f"{field} is not an email address", field=field)
    return email


def normalize_phone(raw: str, default_region: str, field: str = "phone") -> str:
    """E.164, reading numbers without a country code in the tenant's default region."""
    try:
        number = phonenumbers.parse(raw, None if raw.strip().startswith("+") else default_region)
    except phonenumbers.NumberParseException:
        raise InvalidCommand(f"{field} is not a phone number", field=field) from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidCommand(f"{field} is not a possible phone number", field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def normalize_emails(raw: Iterable[str]) -> list[str]:
    return _unique(normalize_email(e, f"emails[{i}]") for i, e in enumerate(raw))


def normalize_phones(raw: Iterable[str], default_region: str) -> list[str]:
    return _unique(normalize_phone(p, default_region, f"phones[{i}]") for i, p in enumerate(raw))


def contact_points(emails: Iterable[str], phones: Iterable[str]) -> list[tuple[str, str]]:
    """The (kind, value) keys two candidates of one tenant may not share."""
    return [("email", e) for e in emails] + [("phone", p) for p in phones]
