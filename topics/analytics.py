"""Alerts the analytics raise and clear: the events on the analytics topic.

An alert is keyed by its id, which derives from what it is about and since when, so the
same overdue wait is one alert however many workers or restarts see it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from topics.records import Record

ALERT_RAISED = "alert.raised"
ALERT_CLEARED = "alert.cleared"

AlertKind = Literal["client_review_overdue", "hot_requisition_quiet"]


class Alert(Record):
    """The `data` of `alert.raised` and `alert.cleared`."""

    id: UUID
    tenant_id: UUID
    kind: AlertKind
    requisition_id: UUID
    submission_id: UUID | None = None
    candidate_id: UUID | None = None
    since: datetime = Field(description="When the wait began")
    limit_hours: float = Field(description="How long the agency allows")
    message: str
    raised_at: datetime
    cleared_at: datetime | None = None
    cleared_because: str | None = None
