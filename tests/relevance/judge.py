"""How a recruiter grades a candidate for a requisition: the relevance set's judgements.

Written from the rules of the trade, not from the engine: a candidate without every
required skill is at best marginal; one with all of them is good, and excellent when
they can also work where the role is and their rate fits the bill rate.

    3  every required skill (any spelling), in reach of the role, rate within the bill rate
    2  every required skill, but the place or the rate is off
    1  at least half the required skills
    0  fewer
"""

from __future__ import annotations

from typing import Any

from domain.skills import skill_key


def grade(candidate: dict[str, Any], requisition: dict[str, Any]) -> int:
    have = {skill_key(s["name"]) for s in candidate.get("skills", [])}
    required = [skill_key(s) for s in requisition["required_skills"]]
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
