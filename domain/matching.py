"""How well a candidate fits a requisition: a score from 0 to 1 and the reasons for it.

A recruiter reads a candidate in two steps, and so does the score:

1. **Deal-breakers**, what they would not get past: a required skill the person does not
   have (wherever it is written: the skills list, the headline, the work history, the
   resume), an onsite or hybrid role beyond a commute for someone who will not relocate,
   a role that sponsors no visa for someone who needs one, a rate far over the budget.
2. **Soft signals**, which order people with the same deal-breakers: how deep the
   required skills go (years; a skill only mentioned in text counts less than one listed
   with years), the nice-to-have skills, the title, how far the commute is, when they
   are free, how the rate compares.

The score puts every candidate without a deal-breaker above every candidate with one:
those with every required skill and no other deal-breaker score 0.75 to 1; every required
skill but a deal-breaker, 0.5 to 0.75 (the more deal-breakers, the lower); a required skill
missing, below 0.5 (fewer than half of them, below 0.25). Within a band the soft signals
decide. Every part that moved the score is in the reasons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from domain.geo import Point, distance_km
from domain.skills import skill_key

FoundIn = Literal["skills", "headline", "work_history", "resume"]


@dataclass(frozen=True)
class Weight:
    value: float
    why: str


@dataclass(frozen=True)
class MatchRules:
    """Every weight and threshold of matching, each with why it is what it is."""

    required_skills: Weight = Weight(
        0.30, "depth in what the job needs is what a hiring manager asks about first"
    )
    nice_to_have_skills: Weight = Weight(
        0.15, "the extras separate good candidates once the essentials are there"
    )
    title: Weight = Weight(0.10, "someone who has held the title has done the job before")
    location: Weight = Weight(0.20, "a move or a long commute is where offers are turned down")
    availability: Weight = Weight(0.05, "a late start can be waited for, a missing skill not")
    rate: Weight = Weight(
        0.20, "a rate over budget is where a placement stalls: as much as the place"
    )

    full_credit_years: float = 5.0
    """Years of a skill past which more years earn no more: depth levels off."""
    listed_credit: tuple[float, float] = (0.7, 0.3)
    """A listed skill earns 0.7, and up to 0.3 more with years (0.85 without years)."""
    text_credit: dict[str, float] = field(
        default_factory=lambda: {"headline": 0.65, "work_history": 0.65, "resume": 0.55}
    )
    """A skill only written in text is held, but nobody said for how long or how well."""
    onsite_commute_km: float = 50.0
    """Farther than this from an onsite role is a move, not a commute."""
    hybrid_commute_km: float = 100.0
    """A hybrid role is onsite a few days a week: a longer commute is tolerated."""
    rate_slack: float = 0.20
    """A rate more than this fraction over the bill rate is a deal-breaker; below, a gap."""
    late_days: float = 90.0
    """Available this many days after the start scores nothing for availability."""
    relocating: float = 0.0
    """Location's score for someone who would move: in reach, but a move is where offers
    fall through, so anyone within a commute comes first."""
    rate_unknown: float = 0.8
    """A rate nobody stated is usually negotiable: nearly as good as one within budget."""

    def weights(self) -> dict[str, float]:
        return {
            name: getattr(self, name).value
            for name in (
                "required_skills",
                "nice_to_have_skills",
                "title",
                "location",
                "availability",
                "rate",
            )
        }


RULES = MatchRules()
WEIGHTS: dict[str, float] = RULES.weights()
"""The soft signals' weights (they sum to 1), as `RULES` sets them."""
FULL_CREDIT_YEARS = RULES.full_credit_years
# Words too common in job titles to say anything about fit.
TITLE_NOISE = frozenset({"and", "or", "of", "the", "a", "an", "for", "with", "in", "at", "to"})
_WORD = re.compile(r"[a-z0-9+#]+")
HOURS = {"hour": 1, "day": 8, "month": 160, "year": 1920}
"""Hours in each rate unit, to compare a day rate with an hourly bill rate."""


@dataclass(frozen=True)
class CandidateFacts:
    skills: dict[str, float | None]
    """Skill key → years (None when not given): the skills the candidate lists."""
    headline: str | None = None
    city: str | None = None
    country: str | None = None
    remote: bool | None = None
    available_from: date | None = None
    rate: Decimal | None = None
    rate_currency: str | None = None
    rate_unit: str | None = None
    point: Point | None = None
    """Where the candidate lives, when the place is known to the gazetteer."""
    willing_to_relocate: bool = False
    work_authorization: str | None = None
    skills_in_text: dict[str, FoundIn] = field(default_factory=dict)
    """Skill key → where it is written, for skills mentioned but not listed."""
    titles: tuple[str, ...] = ()
    """Titles held, from the work history."""


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
    point: Point | None = None
    needs_work_authorization: bool = False
    """The role sponsors no visa: the candidate must already be allowed to work there."""


@dataclass(frozen=True)
class Match:
    score: float
    reasons: dict[str, Any]


# What a job ad writes when it will not sponsor a visa.
_NO_SPONSORSHIP = re.compile(
    r"no\s+(?:visa\s+)?sponsorship|without\s+(?:visa\s+)?sponsorship"
    r"|sponsorship\s+(?:is\s+)?not\s+(?:available|offered|provided|possible)"
    r"|(?:cannot|can't|unable\s+to|not\s+able\s+to|does\s+not|doesn't|will\s+not|won't)"
    r"\s+sponsor"
    r"|(?:must|need\s+to)\s+(?:be\s+)?(?:already\s+)?(?:authori[sz]ed|eligible|allowed)\s+to\s+work"
    r"|(?:must|need\s+to)\s+(?:already\s+)?(?:have|hold)\s+(?:the\s+|a\s+)?(?:valid\s+)?"
    r"(?:right\s+to\s+work|work\s+permit|work\s+authori[sz]ation)"
    r"|right\s+to\s+work\s+(?:in|required)|(?:valid\s+)?work\s+permit\s+required",
    re.I,
)
_NEEDS_VISA = re.compile(
    r"needs?\s+(?:a\s+)?(?:visa|sponsorship|work\s+permit)"
    r"|requires?\s+(?:a\s+)?(?:visa|sponsorship|work\s+permit)"
    r"|(?:visa|sponsorship)\s+(?:is\s+)?(?:needed|required)|not\s+(?:yet\s+)?authori[sz]ed",
    re.I,
)
EU_EEA = frozenset(
    {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE"}
    | {"IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}
    | {"IS", "LI", "NO", "CH"}
)
_COUNTRY_WORDS: dict[str, tuple[str, ...]] = {
    "GB": ("uk", "british", "united kingdom", "settled status", "ilr"),
    "US": ("us", "usa", "american", "green card", "united states"),
    "DE": ("german", "germany", "blue card"),
    "NL": ("dutch", "netherlands"),
    "FR": ("french", "france"),
    "PL": ("polish", "poland"),
    "CA": ("canadian", "canada"),
}


def needs_work_authorization(description: str | None) -> bool:
    """Whether a job description says the role sponsors no visa."""
    return bool(description and _NO_SPONSORSHIP.search(description))


def authorised_in(said: str | None, country: str | None) -> bool | None:
    """What a candidate's `work_authorization` says about working in `country`: True,
    False, or None when it says nothing a rule can read."""
    if not said or not country:
        return None
    if _NEEDS_VISA.search(said):
        return False
    words = set(_WORD.findall(said.lower()))
    lowered = said.lower()
    places: set[str] = set()
    if words & {"eu", "eea", "european"}:
        places |= EU_EEA
    for code, names in _COUNTRY_WORDS.items():
        if any((n in words) if " " not in n else (n in lowered) for n in names):
            places.add(code)
    if places & EU_EEA and words & {"citizen", "citizenship", "passport", "national"}:
        places |= EU_EEA  # an EU citizen may work anywhere in the EU and EEA
    if country.upper() in places:
        return True
    return False if places else None


def _words(text: str | None) -> set[str]:
    return {w for w in _WORD.findall((text or "").lower()) if w not in TITLE_NOISE}


def _skill_credit(years: float | None) -> float:
    base, extra = RULES.listed_credit
    if years is None:
        return base + extra / 2
    return base + extra * min(years, RULES.full_credit_years) / RULES.full_credit_years


@dataclass(frozen=True)
class _Coverage:
    credit: float
    matched: list[str]
    missing: list[str]
    found: list[dict[str, Any]]


def _coverage(wanted: list[str], c: CandidateFacts) -> _Coverage:
    if not wanted:
        return _Coverage(1.0, [], [], [])
    matched, missing, found, credit = [], [], [], 0.0
    for name in wanted:
        key = skill_key(name)
        if key in c.skills:
            matched.append(name)
            credit += _skill_credit(c.skills[key])
            found.append({"name": name, "found_in": "skills", "years": c.skills[key]})
        elif key in c.skills_in_text:
            where = c.skills_in_text[key]
            matched.append(name)
            credit += RULES.text_credit[where]
            found.append({"name": name, "found_in": where})
        else:
            missing.append(name)
    return _Coverage(credit / len(wanted), matched, missing, found)


@dataclass(frozen=True)
class _Place:
    score: float
    sentence: str
    km: float | None
    out_of_reach: bool


def _place_name(r: RequisitionFacts) -> str:
    return r.city or r.country or "the role's place"


def _location(c: CandidateFacts, r: RequisitionFacts) -> _Place:
    if r.remote == "remote":
        return _Place(1.0, "the role is remote", None, False)
    limit = RULES.onsite_commute_km if r.remote == "onsite" else RULES.hybrid_commute_km
    same_city = bool(c.city and r.city and c.city.casefold() == r.city.casefold())
    same_country = bool(c.country and r.country and c.country.upper() == r.country.upper())
    km = distance_km(c.point, r.point) if c.point and r.point else None
    if km is None and same_city:
        km = 0.0
    # Relocating for a hybrid role makes sense within the country (an office a few days a
    # week); for an onsite role, anywhere.
    may_move = c.willing_to_relocate and (r.remote == "onsite" or same_country or not r.country)
    moving = ", willing to relocate" if c.willing_to_relocate else ""
    if km is not None:
        where = f"lives in {r.city}" if km < 1 and r.city else f"{km:.0f} km from {_place_name(r)}"
        if km <= limit:
            # Within a commute: the nearer, the better, but all of it works.
            return _Place(1.0 - 0.3 * km / limit, where, round(km, 1), False)
        if may_move:
            return _Place(RULES.relocating, f"{where}{moving}", round(km, 1), False)
        kind = "an onsite" if r.remote == "onsite" else "a hybrid"
        return _Place(0.0, f"{where}, beyond a commute for {kind} role", round(km, 1), True)
    # No distance to go by: the country says what it can.
    if not (r.city or r.country):
        return _Place(0.7, "the role names no place", None, False)
    if not (c.city or c.country):
        return _Place(0.5, "the candidate's place is not known", None, False)
    if r.country and c.country and not same_country:
        if may_move:
            return _Place(RULES.relocating, f"in {c.country}, not {r.country}{moving}", None, False)
        return _Place(0.0, f"in {c.country}, not near {_place_name(r)}", None, True)
    return _Place(0.5, f"in {r.country or c.country}, distance not known", None, False)


def _availability(c: CandidateFacts, r: RequisitionFacts, today: date) -> tuple[float, str]:
    start_by = r.start_by or today
    if c.available_from is None or c.available_from <= start_by:
        return 1.0, "available in time"
    late = (c.available_from - start_by).days
    return max(0.0, 1.0 - late / RULES.late_days), f"available {late} days after the start"


def _rate(c: CandidateFacts, r: RequisitionFacts) -> tuple[float, dict[str, Any], bool]:
    """The rate's soft score, its reasons, and whether it is far over the budget."""
    if r.bill_rate_max is None or c.rate is None:
        return RULES.rate_unknown, {"rate": "unknown"}, False
    if r.currency and c.rate_currency and r.currency != c.rate_currency:
        return 0.5, {"rate": f"asks in {c.rate_currency}, the role pays in {r.currency}"}, False
    per = HOURS.get(c.rate_unit or "hour", 1)
    hourly = c.rate if per == 1 else (c.rate / per).quantize(Decimal("0.01"))
    gap = hourly - r.bill_rate_max
    if gap <= 0:
        return 1.0, {"rate": "within the bill rate", "rate_gap": "0"}, False
    over = float(gap / r.bill_rate_max)
    reasons = {"rate": "above the bill rate", "rate_gap": str(gap)}
    if over > RULES.rate_slack:
        reasons["rate"] = f"{over:.0%} above the bill rate"
        return 0.0, reasons, True
    return max(0.0, 1.0 - over / RULES.rate_slack), reasons, False


def score(c: CandidateFacts, r: RequisitionFacts, today: date) -> Match:
    required = _coverage(r.required_skills, c)
    nice = _coverage(r.nice_to_have_skills, c)
    title_words = _words(r.title)
    held_words = _words(c.headline) | {w for t in c.titles for w in _words(t)}
    shared = sorted(title_words & _words(c.headline))
    shared_any = title_words & held_words
    title = (
        (len(shared) + 0.5 * len(shared_any - set(shared))) / len(title_words)
        if title_words
        else 0.5
    )
    place = _location(c, r)
    availability, when = _availability(c, r, today)
    rate, rate_reasons, rate_far_over = _rate(c, r)
    parts = {
        "required_skills": required.credit,
        "nice_to_have_skills": nice.credit if r.nice_to_have_skills else 0.5,
        "title": title,
        "location": place.score,
        "availability": availability,
        "rate": rate,
    }
    soft = sum(WEIGHTS[k] * v for k, v in parts.items())

    # Step 1: the deal-breakers.
    breakers = [f"missing required skill {name}" for name in required.missing]
    if place.out_of_reach:
        breakers.append(f"{place.sentence}, and not willing to relocate")
    authorised = authorised_in(c.work_authorization, r.country)
    if r.needs_work_authorization and authorised is False:
        breakers.append(f"the role sponsors no visa; work authorisation: {c.work_authorization}")
    if rate_far_over:
        breakers.append(f"rate {rate_reasons['rate']}")
    others = len(breakers) - len(required.missing)

    # Step 2: the band the deal-breakers put the candidate in, and the soft signals within.
    if required.missing:
        held = 1 - len(required.missing) / len(r.required_skills)
        base = 0.25 if held >= 0.5 else 0.0
        total = base + 0.25 * soft / (1 + others)
    elif others:
        total = 0.5 + 0.25 * soft / others
    else:
        total = 0.75 + 0.25 * soft

    reasons: dict[str, Any] = {
        "matched_skills": required.matched,
        "missing_required_skills": required.missing,
        "matched_nice_to_have_skills": nice.matched,
        "skills_found": [*required.found, *nice.found],
        "deal_breakers": breakers,
        "title_words": shared,
        "location": place.sentence,
        "availability": when,
        **rate_reasons,
        "parts": {k: round(v, 3) for k, v in parts.items()},
    }
    if place.km is not None:
        reasons["distance_km"] = place.km
    if c.willing_to_relocate:
        reasons["willing_to_relocate"] = True
    if r.needs_work_authorization:
        reasons["work_authorization"] = (
            "not stated" if authorised is None else "authorised" if authorised else "not authorised"
        )
    return Match(round(total, 4), reasons)
