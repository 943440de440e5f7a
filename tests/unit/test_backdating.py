"""Only a job replaying history may date a command in the past."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import InvalidCommand
from domain.backdating import check_in_order, refusal
from domain.permissions import Forbidden

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
LAST_WEEK = NOW - timedelta(days=7)


def test_a_command_without_occurred_at_is_never_refused() -> None:
    assert refusal(None, actor_kind="user", deadline=NOW, address="10.0.0.1", now=NOW) is None


def test_a_job_may_date_its_commands_in_the_past() -> None:
    assert refusal(LAST_WEEK, actor_kind="system", deadline=None, address=None, now=NOW) is None
    # A job may act in a user's name (the demo's recruiters) and still date it.
    assert refusal(LAST_WEEK, actor_kind="user", deadline=None, address=None, now=NOW) is None


@pytest.mark.parametrize(
    ("kind", "deadline", "address"),
    [
        ("user", NOW, "10.0.0.1"),  # what the gateway publishes for a REST caller
        ("api_key", NOW, None),  # the gateway, a caller with no known address
        ("user", None, "10.0.0.1"),
        ("integration", None, None),  # what the gate forwards for an integration
    ],
)
def test_the_gateway_and_integrations_may_not(
    kind: str, deadline: datetime | None, address: str | None
) -> None:
    refused = refusal(LAST_WEEK, actor_kind=kind, deadline=deadline, address=address, now=NOW)
    assert isinstance(refused, Forbidden)
    assert "only a job" in refused.message


def test_not_in_the_future_nor_too_far_back() -> None:
    later = NOW + timedelta(hours=1)
    ahead = refusal(later, actor_kind="system", deadline=None, address=None, now=NOW)
    assert isinstance(ahead, InvalidCommand)
    assert ahead.extra["field"] == "occurred_at"
    ancient = refusal(
        NOW - timedelta(days=400), actor_kind="system", deadline=None, address=None, now=NOW
    )
    assert isinstance(ancient, InvalidCommand)


def test_a_history_stays_in_order() -> None:
    check_in_order(NOW, LAST_WEEK)
    with pytest.raises(InvalidCommand, match="stays in order"):
        check_in_order(LAST_WEEK, NOW)
