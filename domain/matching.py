"""How well a candidate fits a requisition: a score from 0 to 1 and the reasons for it.

The score weighs what a recruiter weighs, in this order: the required skills (with
synonyms; years of experience count up to five), the nice-to-have skills, how close
the candidate's headline is to the job title, where they can work, when they are free,
and whether their rate fits the bill rate. Every part that moved the score is listed
in the reasons, so a recruiter can see why one candidate ranks above another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from domain.skills import skill_key

WEIGHTS: dict[str, float] = {
    "required_skills": 0.45,
    "nice_to_have_skills": 0.15,
    "title": 0.15,
    "location": 0.10,
    "availability": 0.05,
    "rate": 0.10,
}
FULL_CREDIT_YEARS = 5.0
# Words too common in job titles to say anything about fit.
TITLE_NOISE = frozenset({"and", "or", "of", "the", "a", "an", "for", "with", "in", "at", "to"})
_WORD = re.compile(r"[a-z0-9+#]+")


@dataclass(frozen=True)
class CandidateFacts:
    skills: dict[str, float | None]
    """Skill key → years (None when not given)."""
    headline: str | None = None
    city: str | None = None
    country: str | None = None
    remote: bool | None = None
    available_from: date | None = None
    rate: Decimal | None = None
    rate_currency: str | None = None


@dataclass(frozen=True)
class RequisitionFacts:
    required_skills: list[str]
    nice_to_have_skills: list[str] = field(default_factory=list)
    title: str = ""
    city: str | None = None
    country: str | None = None
    remote: str = "onsite"  # onsite | hybrid | remote
    start_by: date | None = None
    bill_rate_max: Decimal | None = None
    currency: str | None = None


@dataclass(frozen=True)
class Match:
    score: float
    reasons: dict[str, Any]


def _words(text: str | None) -> set[str]:
    return {w for w in _WORD.findall((text or "").lower()) if w not in TITLE_NOISE}


def _skill_credit(years: float | None) -> float:
    # Having the skill earns most of the credit; years earn the rest, up to five.
    if years is None:
        return 0.85
    return 0.7 + 0.3 * min(years, FULL_CREDIT_YEARS) / FULL_CREDIT_YEARS


def _coverage(
    wanted: list[str], have: dict[str, float | None]
) -> tuple[float, list[str], list[str]]:
    if not wanted:
        return 1.0, [], []
    matched, missing, credit = [], [], 0.0
    for name in wanted:
        key = skill_key(name)
        if key in have:
            matched.append(name)
            credit += _skill_credit(have[key])
        else:
            missing.append(name)
    return credit / len(wanted), matched, missing


def _location(c: CandidateFacts, r: RequisitionFacts) -> tuple[float, str]:
    same_city = bool(c.city and r.city and c.city.lower() == r.city.lower())
    same_country = bool(c.country and r.country and c.country.upper() == r.country.upper())
    if r.remote == "remote":
        return 1.0, "the role is remote"
    if same_city:
        return 1.0, f"lives in {r.city}"
    if r.remote == "hybrid" and same_country:
        return 0.7, f"in {r.country}, the role is hybrid"
    if same_country:
        return 0.4, f"in {r.country}, not in {r.city or 'the city'}"
    if not (r.city or r.country):
        return 0.7, "the role names no place"
    return 0.0, f"not near {r.city or r.country}"


def _availability(c: CandidateFacts, r: RequisitionFacts, today: date) -> tuple[float, str]:
    start_by = r.start_by or today
    if c.available_from is None or c.available_from <= start_by:
        return 1.0, "available in time"
    late = (c.available_from - start_by).days
    return max(0.0, 1.0 - late / 90), f"available {late} days after the start"


def _rate(c: CandidateFacts, r: RequisitionFacts) -> tuple[float, dict[str, Any]]:
    if r.bill_rate_max is None or c.rate is None:
        return 0.5, {"rate": "unknown"}
    if r.currency and c.rate_currency and r.currency != c.rate_currency:
        return 0.5, {"rate": f"asks in {c.rate_currency}, the role pays in {r.currency}"}
    gap = c.rate - r.bill_rate_max
    if gap <= 0:
        return 1.0, {"rate": "within the bill rate", "rate_gap": "0"}
    return max(0.0, 1.0 - float(gap / r.bill_rate_max) * 4), {
        "rate": "above the bill rate",
        "rate_gap": str(gap),
    }


def score(c: CandidateFacts, r: RequisitionFacts, today: date) -> Match:
    required, matched, missing = _coverage(r.required_skills, c.skills)
    nice, nice_matched, _ = _coverage(r.nice_to_have_skills, c.skills)
    title_words, headline_words = _words(r.title), _words(c.headline)
    shared = sorted(title_words & headline_words)
    title = len(shared) / len(title_words) if title_words else 0.5
    location, where = _location(c, r)
    availability, when = _availability(c, r, today)
    rate, rate_reasons = _rate(c, r)
    parts = {
        "required_skills": required,
        "nice_to_have_skills": nice if r.nice_to_have_skills else 0.5,
        "title": title,
        "location": location,
        "availability": availability,
        "rate": rate,
    }
    total = sum(WEIGHTS[k] * v for k, v in parts.items())
    if missing:
        # A missing required skill is a reason to look twice, not only a lower sum.
        total *= 1 - 0.5 * len(missing) / len(r.required_skills)
    reasons: dict[str, Any] = {
        "matched_skills": matched,
        "missing_required_skills": missing,
        "matched_nice_to_have_skills": nice_matched,
        "title_words": shared,
        "location": where,
        "availability": when,
        **rate_reasons,
        "parts": {k: round(v, 3) for k, v in parts.items()},
    }
    return Match(round(total, 4), reasons)
