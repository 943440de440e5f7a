"""One permission matrix, checked role by role, route by route and command by command."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute

from domain.permissions import (
    DEFAULT_INTEGRATION_SCOPES,
    PERMISSIONS,
    ROLES,
    Forbidden,
    allowed,
    parse_scopes,
    require,
)
from gateway.routes import (
    analytics,
    audit,
    candidates,
    changes,
    clients,
    commands,
    documents,
    exports,
    interviews,
    matching,
    notes,
    placements,
    requisitions,
    retention,
    saved_searches,
    search,
    submissions,
    webhooks,
)
from topics.catalog import CATALOG, COMMAND_PERMISSIONS, INTERNAL_COMMANDS
from topics.names import COMMAND_TOPICS

# What every route of /api/v1 requires, as a reviewer would write it down.
EXPECTED_ROUTES: dict[tuple[str, str], str] = {
    ("POST", "/candidates"): "candidates:write",
    ("GET", "/candidates"): "candidates:read",
    ("GET", "/candidates/{candidate_id}"): "candidates:read",
    ("PATCH", "/candidates/{candidate_id}"): "candidates:write",
    ("DELETE", "/candidates/{candidate_id}"): "candidates:erase",
    ("GET", "/candidates/{candidate_id}/duplicates"): "candidates:read",
    ("POST", "/candidates/{candidate_id}/merge"): "candidates:merge",
    ("POST", "/candidates/{candidate_id}/documents"): "candidates:write",
    ("GET", "/candidates/{candidate_id}/documents"): "candidates:read",
    ("GET", "/candidates/{candidate_id}/documents/{document_id}/content"): "candidates:read",
    ("GET", "/candidates/{candidate_id}/timeline"): "candidates:read",
    ("GET", "/candidates/{candidate_id}/export"): "candidates:export",
    ("POST", "/clients"): "clients:write",
    ("GET", "/clients"): "clients:read",
    ("GET", "/clients/{client_id}"): "clients:read",
    ("PATCH", "/clients/{client_id}"): "clients:write",
    ("POST", "/clients/{client_id}/contacts"): "clients:write",
    ("GET", "/clients/{client_id}/contacts"): "clients:read",
    ("GET", "/contacts/{contact_id}"): "clients:read",
    ("PATCH", "/contacts/{contact_id}"): "clients:write",
    ("POST", "/requisitions"): "requisitions:write",
    ("GET", "/requisitions"): "requisitions:read",
    ("GET", "/requisitions/{requisition_id}"): "requisitions:read",
    ("PATCH", "/requisitions/{requisition_id}"): "requisitions:write",
    ("POST", "/requisitions/{requisition_id}/status"): "requisitions:write",
    ("POST", "/submissions"): "pipeline:write",
    ("GET", "/submissions"): "pipeline:read",
    ("GET", "/submissions/{submission_id}"): "pipeline:read",
    ("POST", "/submissions/{submission_id}/transitions"): "pipeline:write",
    ("GET", "/placements"): "pipeline:read",
    ("GET", "/placements/{placement_id}"): "pipeline:read",
    ("PATCH", "/placements/{placement_id}"): "pipeline:write",
    ("POST", "/submissions/{submission_id}/interviews"): "pipeline:write",
    ("GET", "/submissions/{submission_id}/interviews"): "pipeline:read",
    ("POST", "/interviews/{interview_id}/feedback"): "pipeline:write",
    ("GET", "/interviews/{interview_id}/feedback"): "pipeline:read",
    ("POST", "/notes"): "notes:write",
    ("GET", "/notes"): "notes:read",
    ("GET", "/search/candidates"): "search:read",
    ("GET", "/search/requisitions"): "search:read",
    ("POST", "/saved-searches"): "saved_searches:write",
    ("GET", "/saved-searches"): "search:read",
    ("GET", "/saved-searches/{saved_search_id}"): "search:read",
    ("DELETE", "/saved-searches/{saved_search_id}"): "saved_searches:write",
    ("GET", "/saved-searches/{saved_search_id}/matches"): "search:read",
    ("GET", "/requisitions/{requisition_id}/matches"): "search:read",
    ("GET", "/candidates/{candidate_id}/matches"): "search:read",
    ("GET", "/analytics/funnel"): "analytics:read",
    ("GET", "/analytics/kpis"): "analytics:read",
    ("GET", "/analytics/activity"): "analytics:read",
    ("GET", "/analytics/leaderboard"): "analytics:read",
    ("GET", "/analytics/recruiters"): "analytics:read",
    ("GET", "/analytics/sources"): "analytics:read",
    ("GET", "/analytics/alerts"): "analytics:read",
    ("GET", "/analytics/limits"): "analytics:read",
    ("PUT", "/analytics/limits"): "analytics:configure",
    ("GET", "/analytics/stream"): "analytics:read",
    ("GET", "/retention-policy"): "retention:configure",
    ("PUT", "/retention-policy"): "retention:configure",
    ("GET", "/commands/{command_id}"): "commands:read",
    ("GET", "/audit"): "audit:read",
    ("GET", "/changes"): "changes:read",
    ("DELETE", "/contacts/{contact_id}"): "contacts:erase",
    ("POST", "/webhooks"): "webhooks:configure",
    ("GET", "/webhooks"): "webhooks:configure",
    ("GET", "/webhooks/{webhook_id}"): "webhooks:configure",
    ("PATCH", "/webhooks/{webhook_id}"): "webhooks:configure",
    ("DELETE", "/webhooks/{webhook_id}"): "webhooks:configure",
    ("GET", "/webhooks/{webhook_id}/deliveries"): "webhooks:configure",
    ("POST", "/webhooks/{webhook_id}/deliveries/{delivery_id}/retry"): "webhooks:configure",
    ("POST", "/webhooks/{webhook_id}/test"): "webhooks:configure",
}

ROUTERS = (
    analytics,
    audit,
    candidates,
    changes,
    clients,
    commands,
    documents,
    exports,
    interviews,
    matching,
    notes,
    placements,
    requisitions,
    retention,
    saved_searches,
    search,
    submissions,
    webhooks,
)


def _permissions(dependant: Any) -> Iterator[str]:
    for dependency in dependant.dependencies:
        permission = getattr(dependency.call, "permission", None)
        if permission is not None:
            yield permission
        yield from _permissions(dependency)


def declared_routes() -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for module in ROUTERS:
        for route in module.router.routes:
            assert isinstance(route, APIRoute)
            for method in route.methods:
                found[(method, route.path)] = list(_permissions(route.dependant))
    return found


def test_every_route_requires_exactly_the_permission_expected() -> None:
    declared = declared_routes()
    assert set(declared) == set(EXPECTED_ROUTES), "a route was added or removed: list it above"
    for route, permissions in declared.items():
        assert permissions == [EXPECTED_ROUTES[route]], route


def test_every_command_an_integration_may_send_requires_a_permission() -> None:
    commands_ = {m.name for spec in COMMAND_TOPICS for m in CATALOG.get(spec, ())}
    assert set(COMMAND_PERMISSIONS) == commands_ - INTERNAL_COMMANDS
    assert set(COMMAND_PERMISSIONS.values()) <= set(PERMISSIONS)


@pytest.mark.parametrize(
    ("role", "may", "may_not"),
    [
        ("admin", PERMISSIONS, ()),
        (
            "recruiter",
            ("candidates:erase", "candidates:merge"),
            ("analytics:configure", "retention:configure", "audit:read", "candidates:export"),
        ),
        (
            "account_manager",
            ("clients:write", "pipeline:write", "candidates:write"),
            (
                "candidates:erase",
                "candidates:merge",
                "analytics:configure",
                "retention:configure",
                "audit:read",
                "candidates:export",
            ),
        ),
        (
            "viewer",
            ("candidates:read", "analytics:read", "search:read"),
            (
                "candidates:write",
                "pipeline:write",
                "saved_searches:write",
                "notes:write",
                "retention:configure",
                "audit:read",
                "candidates:export",
            ),
        ),
    ],
)
def test_each_role(role: str, may: tuple[str, ...], may_not: tuple[str, ...]) -> None:
    assert role in ROLES
    assert all(allowed(role, p) for p in may)
    assert not any(allowed(role, p) for p in may_not)


def test_a_key_does_what_both_its_role_and_its_scopes_allow() -> None:
    assert allowed("recruiter", "candidates:read", DEFAULT_INTEGRATION_SCOPES)
    assert not allowed("recruiter", "candidates:write", DEFAULT_INTEGRATION_SCOPES)
    assert allowed("recruiter", "candidates:write", {"candidates:write"})
    # A scope beyond the role grants nothing.
    assert not allowed("viewer", "candidates:write", {"candidates:write"})
    with pytest.raises(Forbidden, match="scopes"):
        require("recruiter", "candidates:write", {"candidates:read"})
    with pytest.raises(Forbidden, match="role 'viewer'"):
        require("viewer", "candidates:write")
    assert not allowed("intruder", "candidates:read")


def test_scopes_named_by_an_operator_are_checked() -> None:
    assert parse_scopes(["candidates:read"]) == {"candidates:read"}
    with pytest.raises(ValueError, match="unknown scope 'candidates:delete'"):
        parse_scopes(["candidates:delete"])


def test_the_audit_log_and_exports_are_for_admins_only() -> None:
    for role in ROLES:
        assert allowed(role, "audit:read") == (role == "admin")
        assert allowed(role, "candidates:export") == (role == "admin")
    # An integration may never be given them, whatever its scopes say.
    assert "audit:read" not in DEFAULT_INTEGRATION_SCOPES
    assert not allowed("recruiter", "audit:read", {"audit:read"})
