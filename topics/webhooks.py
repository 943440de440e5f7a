"""Webhooks' own events: a webhook disabled because its deliveries kept failing, and the
test event an admin sends to check an endpoint."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from topics.records import Record

WEBHOOK_DISABLED = "webhook.disabled"
WEBHOOK_TEST = "webhook.test"


class WebhookDisabled(Record):
    """The `data` of `webhook.disabled`: for the agency's admins (and their dashboard)."""

    webhook_id: UUID
    url: str
    disabled_reason: Literal["deliveries_failing"]
    disabled_at: datetime
    last_success_at: datetime | None = Field(
        description="The last delivery the endpoint accepted; null: none ever"
    )


class WebhookTest(Record):
    """The `data` of `webhook.test`: sent to one endpoint only, on an admin's request."""

    webhook_id: UUID
    message: str
