"""Who may do what: one matrix of roles and permissions, asked by the gateway for every
route and by the workers for every command an integration sends.

A permission is `<area>:<verb>`. A person's role grants a set of them; an integration's
key (or Kafka credentials) carries a role and, within it, the scopes it was given: it may
do what both allow.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, cast, get_args

from core.errors import RTError

Role = Literal["admin", "recruiter", "account_manager", "viewer"]
ROLES: tuple[Role, ...] = get_args(Role)

Permission = Literal[
    "candidates:read",
    "candidates:write",
    "candidates:merge",
    "candidates:erase",
    "candidates:export",
    "clients:read",
    "clients:write",
    "contacts:erase",
    "requisitions:read",
    "requisitions:write",
    "pipeline:read",
    "pipeline:write",
    "notes:read",
    "notes:write",
    "search:read",
    "saved_searches:write",
    "analytics:read",
    "analytics:configure",
    "retention:configure",
    "webhooks:configure",
    "commands:read",
    "changes:read",
    "audit:read",
]
PERMISSIONS: tuple[Permission, ...] = get_args(Permission)
ADMIN_ONLY: frozenset[Permission] = frozenset(
    {
        "analytics:configure",
        "retention:configure",
        "webhooks:configure",
        "audit:read",
        "candidates:export",
    }
)
"""Configuring the agency (its service levels, how long it keeps people's data, the
webhooks that tell other systems what happens in it), reading
its audit log, exporting all held about a person."""
READS: frozenset[Permission] = frozenset(
    p for p in PERMISSIONS if p.endswith(":read") and p not in ADMIN_ONLY
)


MATRIX: dict[Role, frozenset[Permission]] = {
    "admin": frozenset(PERMISSIONS),
    # Recruiters own the people: they may also merge duplicates and erase a person.
    "recruiter": frozenset(PERMISSIONS) - ADMIN_ONLY,
    # Account managers own the clients and their requisitions and move the pipeline;
    # merging and erasing people stays with recruiters and admins.
    "account_manager": frozenset(PERMISSIONS)
    - ADMIN_ONLY
    - {"candidates:merge", "candidates:erase"},
    "viewer": READS,
}

INTEGRATION_ROLES: tuple[Role, ...] = tuple(r for r in ROLES if r != "admin")
"""Roles an integration may carry: administration stays with people."""
DEFAULT_INTEGRATION_SCOPES: frozenset[Permission] = READS
"""What a new integration may do unless it is given more: read, nothing else."""


class Forbidden(RTError):
    code = "forbidden"
    status = 403
    title = "Forbidden"


def granted(role: str) -> frozenset[Permission]:
    """What the role may do (nothing, for a role the matrix does not know)."""
    return MATRIX.get(cast(Role, role), frozenset())


def allowed(role: str, permission: str, scopes: Iterable[str] | None = None) -> bool:
    """Whether a caller with `role` (and, for an integration, `scopes`) may `permission`."""
    return permission in granted(role) and (scopes is None or permission in set(scopes))


def require(role: str, permission: str, scopes: Iterable[str] | None = None) -> None:
    """Raise Forbidden, saying what is missing, unless the caller may `permission`."""
    if not allowed(role, permission, scopes):
        if permission in granted(role):
            raise Forbidden(
                f"this key's scopes do not include '{permission}'", permission=permission
            )
        raise Forbidden(f"the role '{role}' may not '{permission}'", permission=permission)


def parse_scopes(scopes: Iterable[str]) -> frozenset[Permission]:
    """Validate scope names given by an operator; raises ValueError naming an unknown one."""
    found: set[Permission] = set()
    for scope in scopes:
        if scope not in PERMISSIONS:
            raise ValueError(f"unknown scope '{scope}'; scopes are: {', '.join(PERMISSIONS)}")
        found.add(scope)
    return frozenset(found)
