"""Search documents built from event data alone (the indexer never reads the stores)."""

from __future__ import annotations

from typing import Any

from topics.candidates import CandidateSnapshot


def candidate_document(snapshot: CandidateSnapshot) -> dict[str, Any]:
    data = snapshot.model_dump(mode="json")
    location = data.get("location") or {}
    return {
        "id": data["id"],
        "tenant_id": data["tenant_id"],
        "full_name": f"{snapshot.first_name} {snapshot.last_name}",
        "first_name": snapshot.first_name,
        "last_name": snapshot.last_name,
        "headline": snapshot.headline,
        "skills": [s.name for s in snapshot.skills],
        "emails": snapshot.emails,
        "tags": snapshot.tags,
        "status": snapshot.status,
        "owner_id": data["owner_id"],
        "source": snapshot.source,
        "city": location.get("city"),
        "country": location.get("country"),
        "remote": location.get("remote"),
        "available_from": data["available_from"],
        "created_at": data["created_at"],
        "updated_at": data["updated_at"],
        "version": snapshot.version,
    }
