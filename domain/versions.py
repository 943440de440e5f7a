"""Optimistic concurrency: a change may name the version it was made against."""

from __future__ import annotations

from uuid import UUID

from core.errors import VersionMismatch


def check_version(noun: str, aggregate_id: UUID, current: int, expected: int | None) -> None:
    """Refuse a change made against another version than the current one (None: any)."""
    if expected is not None and expected != current:
        raise VersionMismatch(
            f"{noun} {aggregate_id} is at version {current}, not {expected}; "
            "read it again and reapply your change",
            current_version=current,
        )
