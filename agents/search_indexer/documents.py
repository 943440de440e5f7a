"""Search documents built from event data alone (the indexer never reads the stores)."""

from __future__ import annotations

from typing import Any

from domain.skills import skill_key, text_skill_keys
from stores.search.nearby import location_field


def candidate_document(data: dict[str, Any]) -> dict[str, Any]:
    """The index document of a candidate, from the JSON `data` of its latest event.

    The data is a snapshot our agents dumped, so it is read as it is rather than
    validated again: this runs for every candidate a bulk import writes.
    """
    location = data.get("location") or {}
    rate = data.get("desired_rate") or {}
    salary = data.get("desired_salary") or {}
    skills = [s["name"] for s in data.get("skills") or []]
    first, last = data["first_name"], data["last_name"]
    jobs = data.get("work_history") or []
    job_text = "\n".join(f"{w.get('title') or ''}\n{w.get('description') or ''}" for w in jobs)
    return {
        "id": data["id"],
        "tenant_id": data["tenant_id"],
        "full_name": f"{first} {last}",
        "first_name": first,
        "last_name": last,
        "headline": data.get("headline"),
        "skills": skills,
        "employers": [w["employer"] for w in data.get("work_history") or [] if w.get("employer")],
        "work_titles": [w["title"] for w in data.get("work_history") or [] if w.get("title")],
        "work_descriptions": [w["description"] for w in jobs if w.get("description")],
        # One key per skill whatever its spelling, for filters and facets.
        "skill_keys": sorted({skill_key(name) for name in skills}),
        # Years per skill key, kept (not indexed) for matching.
        "skill_years": {skill_key(s["name"]): s.get("years") for s in data.get("skills") or []},
        # Skills written only in text count for matching (with less weight than a listed
        # one), so they must find the candidate too.
        "headline_skill_keys": text_skill_keys(data.get("headline")),
        "work_skill_keys": text_skill_keys(job_text),
        "willing_to_relocate": bool(data.get("willing_to_relocate")),
        "work_authorization": data.get("work_authorization"),
        "emails": data.get("emails") or [],
        "tags": data.get("tags") or [],
        "status": data.get("status", "active"),
        "owner_id": data.get("owner_id"),
        "source": data.get("source"),
        "city": location.get("city"),
        "country": location.get("country"),
        "remote": location.get("remote"),
        # Its point, from the gazetteer: none for a remote-only candidate (no city).
        "location": location_field(
            location.get("city"), location.get("country"), location.get("region")
        ),
        "available_from": data.get("available_from"),
        "rate_amount": float(rate["amount"]) if rate.get("amount") is not None else None,
        "rate_currency": rate.get("currency"),
        "rate_unit": rate.get("unit"),
        "salary_amount": float(salary["amount"]) if salary.get("amount") is not None else None,
        "salary_currency": salary.get("currency"),
        "created_at": data["created_at"],
        "updated_at": data["updated_at"],
        "version": data["version"],
    }
