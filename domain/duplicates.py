"""Likely duplicate candidates: a score from 0 to 1 and the reasons a recruiter can check.

Exact duplicates (same email or phone) are refused at create; these are the near misses:
"Jon Smith" and "Jonathan Smith" with the same employer, a phone that differs in its
country prefix, an email at the same company domain.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

# Mail providers whose domain says nothing about who a person is.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "yandex.ru",
    }
)
THRESHOLD = 0.5
# Two numbers that end in the same seven digits are the same line, give or take a prefix.
TAIL_DIGITS = 7


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    first_name: str
    last_name: str
    emails: Sequence[str]
    phones: Sequence[str]
    employers: Sequence[str]
    city: str | None = None


@dataclass(frozen=True, slots=True)
class Match:
    id: str
    score: float
    reasons: list[str]


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().split())


def _similar(a: str, b: str) -> float:
    return SequenceMatcher(None, _plain(a), _plain(b)).ratio()


def _domains(emails: Iterable[str]) -> set[str]:
    return {e.rsplit("@", 1)[-1] for e in emails if "@" in e} - PUBLIC_MAIL_DOMAINS


def _locals(emails: Iterable[str]) -> set[str]:
    return {e.split("@", 1)[0].replace(".", "").replace("_", "") for e in emails if "@" in e}


def _tails(phones: Iterable[str]) -> set[str]:
    return {p[-TAIL_DIGITS:] for p in phones}


def match_keys(emails: Iterable[str], phones: Iterable[str]) -> set[tuple[str, str]]:
    """The (kind, value) pairs a pool of possible duplicates is looked up by: what `score`
    counts when two people share it. Stored as blind indexes (stores/at_rest.py), so the
    store finds the pool without holding a phone or an address."""
    emails = list(emails)
    keys = {("phone_tail", t) for t in _tails(phones)}
    keys |= {("email_local", name) for name in _locals(emails) if name}
    keys |= {("email_domain", domain) for domain in _domains(emails)}
    return keys


def score(person: Person, other: Person) -> Match:
    """How likely `other` is the same person as `person`, and why."""
    total = 0.0
    reasons: list[str] = []
    name = _similar(
        f"{person.first_name} {person.last_name}", f"{other.first_name} {other.last_name}"
    )
    if name == 1.0:
        total += 0.6
        reasons.append("same name")
    elif name >= 0.8 or (
        _plain(person.last_name) == _plain(other.last_name)
        and _plain(other.first_name)[:1] == _plain(person.first_name)[:1]
    ):
        total += 0.4
        reasons.append(f"similar name ({name:.2f})")
    tails = _tails(person.phones) & _tails(other.phones)
    if tails:
        total += 0.4
        reasons.append("phone numbers end alike")
    if _locals(person.emails) & _locals(other.emails):
        total += 0.3
        reasons.append("same email name at another address")
    domains = _domains(person.emails) & _domains(other.emails)
    if domains:
        total += 0.15
        reasons.append(f"email at the same domain ({sorted(domains)[0]})")
    employers = {_plain(e) for e in person.employers} & {_plain(e) for e in other.employers}
    if employers:
        total += min(0.3, 0.2 * len(employers))
        reasons.append("both worked at " + ", ".join(sorted(employers)))
    if person.city and other.city and _plain(person.city) == _plain(other.city):
        total += 0.05
        reasons.append(f"both in {other.city}")
    return Match(other.id, round(min(total, 1.0), 2), reasons)


def likely_duplicates(person: Person, pool: Iterable[Person]) -> list[Match]:
    """The pool's likely duplicates of `person`, best first."""
    matches = [score(person, other) for other in pool if other.id != person.id]
    return sorted((m for m in matches if m.score >= THRESHOLD), key=lambda m: -m.score)
