"""How a recruiter grades a candidate for a requisition: the relevance sets' judgements.

Written from the rules of the trade, not from the engine (this module imports nothing of
it: its written forms, its places and its reading of free text are its own).

The first set (`set.json`) was graded by `grade_first_set`: a candidate without every
required skill is at best marginal; one with all of them is good, and excellent when
they can also work where the role is and their rate fits the bill rate.

    3  every required skill (any spelling), in reach of the role, rate within the bill rate
    2  every required skill, but the place or the rate is off
    1  at least half the required skills
    0  fewer

The traps set (`set_traps.json`) is graded by `grade`, a recruiter's rules in two steps.
First the deal-breakers, any one of which means the recruiter would not call first:

- a required skill the person does not have: it counts wherever it is written (the
  skills list in any written form, "Python 3" or "ReactJS"; the headline; a job title or
  description in the work history; the resume's text);
- an onsite role more than a commute (50 km) from where they live, or a hybrid role more
  than 100 km away, unless they will relocate (for a hybrid role, relocating counts only
  within the same country);
- a role that says it sponsors no visa while the person needs one, or is authorised
  only elsewhere;
- a rate more than 20 % over the bill rate.

Then the grade:

    3  every required skill, no deal-breaker, in reach without moving, rate within the bill rate
    2  every required skill, no deal-breaker, but moving or a rate a little over the bill rate
    1  every required skill and a deal-breaker, or at least half the required skills
    0  fewer
"""

from __future__ import annotations

import math
import re
from typing import Any

# --- the first set's rules (kept so set.json can be made again exactly) ---------------

FIRST_SET_FORMS: dict[str, str] = {
    "python3": "python",
    "py": "python",
    "golang": "go",
    "k8s": "kubernetes",
    "postgres": "postgresql",
    "js": "javascript",
    "ts": "typescript",
    "reactjs": "react",
    "spring boot": "spring",
}


def _first_set_key(name: str) -> str:
    lowered = name.strip().lower()
    return FIRST_SET_FORMS.get(lowered, lowered)


def grade_first_set(candidate: dict[str, Any], requisition: dict[str, Any]) -> int:
    have = {_first_set_key(s["name"]) for s in candidate.get("skills", [])}
    required = [_first_set_key(s) for s in requisition["required_skills"]]
    held = sum(1 for s in required if s in have)
    if held < len(required):
        return 1 if held * 2 >= len(required) else 0
    place = requisition.get("location") or {}
    home = candidate.get("location") or {}
    in_reach = (
        place.get("remote") == "remote"
        or home.get("city") == place.get("city")
        or (place.get("remote") == "hybrid" and home.get("country") == place.get("country"))
    )
    rate = (candidate.get("desired_rate") or {}).get("amount")
    ceiling = (requisition.get("bill_rate") or {}).get("max")
    affordable = rate is None or ceiling is None or float(rate) <= float(ceiling)
    return 3 if in_reach and affordable else 2


# --- a recruiter's rules ------------------------------------------------------------

# How people write each skill, as a recruiter reads it (lower case, listed skills).
FORMS: dict[str, tuple[str, ...]] = {
    "python": ("python", "python 3", "python3", "python 3.11", "python 2.7", "py"),
    "go": ("go", "golang", "go 1.21", "go lang"),
    "kubernetes": ("kubernetes", "k8s", "kubernetes (cka)"),
    "postgresql": ("postgresql", "postgres", "postgresql 15", "psql"),
    "javascript": ("javascript", "js", "javascript (es6)", "es6"),
    "typescript": ("typescript", "ts", "typescript 5"),
    "react": ("react", "reactjs", "react.js", "react 18", "react js"),
    "kafka": ("kafka", "apache kafka", "kafka streams"),
    "aws": ("aws", "amazon web services", "amazon web services (aws)"),
    "terraform": ("terraform",),
    "java": ("java", "java 17", "java 8", "java se"),
    "spring": ("spring", "spring boot", "spring boot 3", "spring framework"),
    "docker": ("docker",),
    "rust": ("rust",),
    ".net": (".net", "asp.net", "asp.net core", "asp.net (core)", "dotnet", ".net core"),
    "c#": ("c#", "csharp", "c sharp"),
    "c++": ("c++", "cpp", "c++17"),
    "node.js": ("node.js", "nodejs", "node", "node js"),
}
_KEY_OF = {form: key for key, forms in FORMS.items() for form in forms}

# In running text a recruiter recognises a skill by these words, case as written where the
# word is also an ordinary one ("Go" the language, not "go-to"; "Spring Boot", not "spring
# 2019"; "Rust", not "rust" on a car).
TEXT_FORMS: dict[str, tuple[str, ...]] = {
    "python": (r"(?i:python\s?3?)",),
    "go": (r"(?i:golang)", r"Go(?![-\s]to\b)(?=[\s,/).]|$)(?!\s+(?:live|ahead|further)\b)"),
    "kubernetes": (r"(?i:kubernetes|k8s)",),
    "postgresql": (r"(?i:postgres(?:ql)?)",),
    "javascript": (r"(?i:javascript)", r"JS"),
    "typescript": (r"(?i:typescript)", r"TS"),
    "react": (r"(?i:react(?:\.?js)?)(?=[\s,/).]|$)",),
    "kafka": (r"(?i:kafka)",),
    "aws": (r"AWS", r"(?i:amazon web services)"),
    "terraform": (r"(?i:terraform)",),
    "java": (r"(?i:java(?!\s?script))",),
    "spring": (r"Spring(?: Boot)?(?!\s+(?:19|20)\d\d)",),
    "docker": (r"(?i:docker)",),
    "rust": (r"Rust",),
    ".net": (r"(?i:asp\.net)", r"\.NET"),
    "c#": (r"C#",),
    "node.js": (r"(?i:node\.?js)",),
}
_TEXT_PATTERNS = {
    key: re.compile(rf"(?<![\w.#+-])(?:{'|'.join(forms)})(?![\w#+])")
    for key, forms in TEXT_FORMS.items()
}

# Where the sets' people live and roles are, as a recruiter would look them up on a map.
PLACES: dict[str, tuple[float, float]] = {
    "Berlin": (52.52, 13.405),
    "Potsdam": (52.39, 13.065),
    "Munich": (48.137, 11.575),
    "Freising": (48.403, 11.749),
    "Dachau": (48.26, 11.434),
    "Augsburg": (48.371, 10.898),
    "Nuremberg": (49.452, 11.077),
    "Hamburg": (53.551, 9.993),
    "Warsaw": (52.23, 21.012),
    "London": (51.507, -0.128),
    "Reading": (51.454, -0.978),
    "Manchester": (53.481, -2.243),
    "Amsterdam": (52.37, 4.895),
    "Utrecht": (52.091, 5.122),
    "Rotterdam": (51.924, 4.478),
    "Lisbon": (38.722, -9.139),
}
ONSITE_KM = 50.0
HYBRID_KM = 100.0
RATE_SLACK = 0.20
EU = frozenset(
    {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE"}
    | {"IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}
)


def km_between(a: str | None, b: str | None) -> float | None:
    if a not in PLACES or b not in PLACES:
        return None
    (lat1, lon1), (lat2, lon2) = PLACES[a], PLACES[b]
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def skills_held(candidate: dict[str, Any]) -> set[str]:
    """Every skill the person has, wherever it is written."""
    held = {
        _KEY_OF.get(s["name"].strip().lower(), s["name"].strip().lower())
        for s in candidate.get("skills", [])
    }
    texts = [candidate.get("headline") or "", candidate.get("resume_text") or ""]
    for job in candidate.get("work_history") or []:
        texts.extend([job.get("title") or "", job.get("description") or ""])
    for text in texts:
        held.update(key for key, pattern in _TEXT_PATTERNS.items() if pattern.search(text))
    return held


def _needs_authorisation(requisition: dict[str, Any]) -> bool:
    text = (requisition.get("description") or "").lower()
    return "no visa sponsorship" in text or "must be authorised to work" in text


def _authorised(candidate: dict[str, Any], country: str | None) -> bool | None:
    said = (candidate.get("work_authorization") or "").lower()
    if not said:
        return None
    if "sponsorship" in said or "needs a visa" in said:
        return False
    if "eu citizen" in said:
        return country in EU
    if "uk right to work" in said:
        return country == "GB"
    return None


def _commutes(home: dict[str, Any], place: dict[str, Any]) -> bool:
    """Lives within a commute of the role: 50 km for an onsite role, 100 km for hybrid."""
    if home.get("city") == place.get("city"):
        return True
    km = km_between(home.get("city"), place.get("city"))
    return km is not None and km <= (ONSITE_KM if place.get("remote") == "onsite" else HYBRID_KM)


def deal_breakers(candidate: dict[str, Any], requisition: dict[str, Any]) -> list[str]:
    """What a recruiter would not get past, for a candidate with every required skill."""
    found: list[str] = []
    place = requisition.get("location") or {}
    home = candidate.get("location") or {}
    mode = place.get("remote", "onsite")
    relocates = bool(candidate.get("willing_to_relocate"))
    if mode != "remote":
        km = km_between(home.get("city"), place.get("city"))
        same_city = home.get("city") == place.get("city")
        near = same_city or (
            km is not None and km <= (ONSITE_KM if mode == "onsite" else HYBRID_KM)
        )
        may_move = relocates and (mode == "onsite" or home.get("country") == place.get("country"))
        if not near and not may_move:
            found.append("out of reach")
    if _needs_authorisation(requisition) and _authorised(candidate, place.get("country")) is False:
        found.append("not authorised to work there")
    rate = (candidate.get("desired_rate") or {}).get("amount")
    ceiling = (requisition.get("bill_rate") or {}).get("max")
    if rate is not None and ceiling is not None and float(rate) > float(ceiling) * (1 + RATE_SLACK):
        found.append("rate far over the bill rate")
    return found


def grade(candidate: dict[str, Any], requisition: dict[str, Any]) -> int:
    have = skills_held(candidate)
    required = [
        _KEY_OF.get(s.strip().lower(), s.strip().lower()) for s in requisition["required_skills"]
    ]
    held = sum(1 for s in required if s in have)
    if held < len(required):
        return 1 if held * 2 >= len(required) else 0
    if deal_breakers(candidate, requisition):
        return 1
    place = requisition.get("location") or {}
    home = candidate.get("location") or {}
    moving = place.get("remote", "onsite") != "remote" and not _commutes(home, place)
    rate = (candidate.get("desired_rate") or {}).get("amount")
    ceiling = (requisition.get("bill_rate") or {}).get("max")
    over = rate is not None and ceiling is not None and float(rate) > float(ceiling)
    return 2 if moving or over else 3
