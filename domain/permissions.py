"""Who may do what: the roles of an agency's people and integrations, and what each may do.

The gateway asks this before it publishes a command; nothing else decides it.
"""

from __future__ import annotations

from typing import Literal, get_args

Role = Literal["admin", "recruiter", "account_manager", "viewer"]
ROLES: tuple[Role, ...] = get_args(Role)
WRITER_ROLES: frozenset[str] = frozenset({"admin", "recruiter", "account_manager"})
"""Roles that change records; a viewer only reads."""
INTEGRATION_ROLES: tuple[Role, ...] = tuple(r for r in ROLES if r != "admin")
"""Roles an integration's key may carry: administration stays with people."""


def can_write(role: str) -> bool:
    """Whether a caller with `role` may send commands that change records."""
    return role in WRITER_ROLES


def is_admin(role: str) -> bool:
    return role == "admin"
