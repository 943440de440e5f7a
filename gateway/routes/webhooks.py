"""Webhooks: an agency's endpoints that are sent its events, signed (Standard Webhooks),
with retries. Admins only.

A webhook is the agency's configuration, not a record of the domain, and it holds a
secret that must never travel on a topic: the routes write it to Postgres themselves
(like the retention policy), with its audit entry in the same transaction. The workers
record and send the deliveries (agents/webhooks/); docs/integrations.md#webhooks says
what a receiver gets and how to check it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Body, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from core.clock import utcnow
from core.errors import Conflict, InvalidCommand, NotFound
from core.settings import Settings
from domain.types import NOT_BLANK
from domain.webhooks import (
    MAX_SUBSCRIPTIONS,
    MAX_URL_LENGTH,
    BadTarget,
    new_secret,
    unknown_subscriptions,
)
from gateway.audit_trail import record_change
from gateway.auth import Principal
from gateway.deps import SettingsDep, StoresDep, allow
from gateway.error_responses import problems
from gateway.openapi import LOCATION, changed, found, links
from gateway.pagination import ListParams
from stores.bundle import Stores
from stores.postgres import webhooks as repo
from stores.webhook_secrets import WebhookSecrets
from stores.webhook_targets import resolve_target
from topics.catalog import event_types
from topics.envelopes import Actor, EventEnvelope
from topics.webhooks import WEBHOOK_TEST, WebhookTest

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

ADMINS = "Only admins may manage webhooks"
NO_SUCH = "No such webhook in your agency"
LOCATION_BASE = "/api/v1/webhooks"

Url = Annotated[
    str,
    StringConstraints(min_length=10, max_length=MAX_URL_LENGTH, pattern=r"^https?://[^\s]+$"),
    Field(
        description="Where deliveries are POSTed: an http(s) URL without credentials, whose "
        "host resolves to public addresses only (unless the operator allows private ones)",
        examples=["https://hooks.example.com/refactortrack"],
    ),
]
EventPattern = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, pattern=r"^(\*|[a-z_]+(\.[a-z_]+)*(\.\*)?)$"),
]
Events = Annotated[
    list[EventPattern],
    Field(
        min_length=1,
        max_length=MAX_SUBSCRIPTIONS,
        description="Event types (`candidate.created`), prefixes (`submission.*`) or `*` for "
        "all; each must match a type of the AsyncAPI document",
        examples=[["candidate.created", "submission.*"]],
    ),
]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), NOT_BLANK
]

WEBHOOK_EXAMPLE: dict[str, Any] = {
    "id": "7d1f0c8e-2b7a-4c55-9c1e-0f7e7c3b9a10",
    "url": "https://hooks.example.com/refactortrack",
    "events": ["candidate.created", "submission.*"],
    "description": "Our HR system",
    "status": "active",
    "disabled_reason": None,
    "disabled_at": None,
    "version": 1,
    "created_at": "2026-11-30T09:00:00Z",
    "updated_at": "2026-11-30T09:00:00Z",
}
CREATED_EXAMPLE = {**WEBHOOK_EXAMPLE, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
DELIVERY_EXAMPLE: dict[str, Any] = {
    "id": "0b6c1f9e-58d4-4e0a-a3a1-3b2d8e1f4c77",
    "webhook_id": WEBHOOK_EXAMPLE["id"],
    "event_id": "5e0c3d7a-1f2b-4c8d-9e6f-7a8b9c0d1e2f",
    "event_type": "candidate.created",
    "status": "pending",
    "attempts": 2,
    "last_response_code": 503,
    "last_error": "HTTP 503",
    "last_attempt_at": "2026-11-30T09:00:12Z",
    "next_attempt_at": "2026-11-30T09:00:32Z",
    "delivered_at": None,
    "created_at": "2026-11-30T09:00:00Z",
}


class WebhookFields(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://hooks.example.com/refactortrack",
                    "events": ["candidate.created", "submission.*"],
                    "description": "Our HR system",
                }
            ]
        },
    )

    url: Url
    events: Events
    description: Description | None = None


class WebhookChange(BaseModel):
    """Any of the fields; `status` `active` re-enables a disabled webhook."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"status": "active"}]}
    )

    url: Url | None = None
    events: Events | None = None
    description: Description | None = None
    status: Literal["active", "disabled"] | None = Field(
        default=None, description="`disabled` stops deliveries; `active` resumes them"
    )


class Webhook(BaseModel):
    id: UUID
    url: str
    events: list[str]
    description: str | None = None
    status: Literal["active", "disabled"]
    disabled_reason: Literal["deliveries_failing", "disabled_by_admin"] | None = Field(
        default=None,
        description="Why it is disabled: its deliveries failed for the whole retry period, "
        "or an admin disabled it; null while active",
    )
    disabled_at: datetime | None = None
    version: int
    created_at: datetime
    updated_at: datetime


class WebhookCreated(Webhook):
    secret: str = Field(
        description="`whsec_` and base64: the key receivers verify signatures with. Shown "
        "here only, never again: keep it now"
    )


class WebhookPage(BaseModel):
    items: list[Webhook]
    next_cursor: str | None


class Delivery(BaseModel):
    id: UUID = Field(description="Also the `webhook-id` header of every attempt")
    webhook_id: UUID
    event_id: UUID
    event_type: str
    status: Literal["pending", "delivered", "failed"] = Field(
        description="`pending`: due or waiting for a retry; `delivered`: a 2xx answered; "
        "`failed`: a 4xx refused it, its retry period ran out, or the webhook was disabled"
    )
    attempts: int
    last_response_code: int | None = Field(
        default=None, description="Null: no answer (timeout, no connection)"
    )
    last_error: str | None = None
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    created_at: datetime


class DeliveryPage(BaseModel):
    items: list[Delivery]
    next_cursor: str | None


def _webhook(row: dict[str, Any]) -> Webhook:
    return Webhook.model_validate(row)


async def _checked_url(url: str, settings: Settings) -> str:
    try:
        await resolve_target(url, settings)
    except BadTarget as exc:
        raise InvalidCommand(f"`url` cannot be used: {exc}", errors={"url": str(exc)}) from None
    return url


def _checked_events(events: list[str]) -> list[str]:
    unknown = unknown_subscriptions(events, event_types())
    if unknown:
        names = ", ".join(unknown)
        raise InvalidCommand(
            f"no event type matches {names}; the types are in /api/asyncapi.json",
            errors={"events": f"unknown event types or prefixes: {names}"},
        )
    return list(dict.fromkeys(events))


async def _get(stores: Stores, tenant_id: UUID, webhook_id: UUID) -> dict[str, Any]:
    async with stores.db.read() as conn:
        row = await repo.get_webhook(conn, tenant_id, webhook_id)
    if row is None:
        raise NotFound(f"no webhook {webhook_id}")
    return row


@router.post(
    "",
    status_code=201,
    response_model=WebhookCreated,
    summary="Add a webhook (admins)",
    description="The agency's events of the types in `events` are POSTed to `url`, signed "
    "as the Standard Webhooks specification says, with retries over 27 hours. The answer "
    "holds the signing `secret`, shown this once. The URL's host is resolved now and at "
    "every send: private, loopback and link-local addresses are refused (422).",
    responses={
        201: {
            "description": "Created: the webhook and its secret (its URL in `Location`)",
            "headers": {"Location": LOCATION},
            "content": {"application/json": {"example": CREATED_EXAMPLE}},
            "links": links(
                "webhook_id",
                "get_webhook",
                "update_webhook",
                "delete_webhook",
                "list_deliveries",
                "test_webhook",
            ),
        },
        **problems(
            {
                403: ADMINS,
                422: "Invalid fields: a URL that does not resolve or resolves to a private "
                "address, or event types or prefixes no event matches (named in `errors`)",
            }
        ),
    },
)
async def create_webhook(
    body: Annotated[
        WebhookFields,
        Body(
            openapi_examples={
                "hr": {
                    "summary": "New candidates and every pipeline move",
                    "value": {
                        "url": "https://hooks.example.com/refactortrack",
                        "events": ["candidate.created", "submission.*"],
                    },
                }
            }
        ),
    ],
    principal: Annotated[Principal, allow("webhooks:configure")],
    stores: StoresDep,
    settings: SettingsDep,
) -> JSONResponse:
    events = _checked_events(body.events)
    url = await _checked_url(body.url, settings)
    webhook_id, secret, now = uuid.uuid4(), new_secret(), utcnow()
    sealed = WebhookSecrets(stores.keys).seal(principal.tenant_id, webhook_id, secret)
    async with stores.db.transaction() as conn:
        row = await repo.insert_webhook(
            conn,
            {
                "id": webhook_id,
                "tenant_id": principal.tenant_id,
                "url": url,
                "events": events,
                "description": body.description,
                "secret": sealed,
                "status": "active",
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "created_by": Actor(id=str(principal.id), kind=principal.kind).label,
            },
        )
        await record_change(
            conn, principal, "create", "webhook", webhook_id, fields=body.model_fields_set
        )
    created = WebhookCreated.model_validate({**row, "secret": secret})
    return JSONResponse(
        created.model_dump(mode="json"),
        status_code=201,
        headers={"Location": f"{LOCATION_BASE}/{webhook_id}", "Cache-Control": "no-store"},
    )


@router.get(
    "",
    response_model=WebhookPage,
    summary="List the agency's webhooks (admins)",
    description="Newest first; the parameters of every list (`limit`, `cursor`, `sort`, "
    "`created_since`, `updated_since`, `ids`). Secrets are not shown.",
    responses=problems({403: ADMINS}),
)
async def list_webhooks(
    principal: Annotated[Principal, allow("webhooks:configure")],
    stores: StoresDep,
    listing: ListParams,
) -> WebhookPage:
    async with stores.db.read() as conn:
        found = await repo.page_webhooks(conn, principal.tenant_id, listing.window)
    return WebhookPage(
        items=[_webhook(r) for r in found.rows],
        next_cursor=listing.next_cursor(found.next_after),
    )


@router.get(
    "/{webhook_id}",
    response_model=Webhook,
    summary="Get a webhook (admins)",
    description="With `status` and, when disabled, `disabled_reason` and `disabled_at`.",
    responses={200: found(WEBHOOK_EXAMPLE), **problems({403: ADMINS, 404: NO_SUCH})},
)
async def get_webhook(
    webhook_id: UUID,
    principal: Annotated[Principal, allow("webhooks:configure")],
    stores: StoresDep,
) -> Webhook:
    return _webhook(await _get(stores, principal.tenant_id, webhook_id))


@router.patch(
    "/{webhook_id}",
    response_model=Webhook,
    summary="Change a webhook, disable or re-enable it (admins)",
    description="Send the fields to change. `status: active` re-enables a disabled webhook "
    "(events that happened while it was disabled are not sent); `status: disabled` pauses "
    "it: no new deliveries, and the pending ones wait for it to be re-enabled. The secret "
    "does not change.",
    responses={
        200: changed(WEBHOOK_EXAMPLE),
        **problems(
            {
                403: ADMINS,
                404: NO_SUCH,
                422: "Invalid fields: a URL that does not resolve or resolves to a private "
                "address, or event types or prefixes no event matches (named in `errors`)",
            }
        ),
    },
)
async def update_webhook(
    webhook_id: UUID,
    body: Annotated[
        WebhookChange,
        Body(
            openapi_examples={
                "enable": {"summary": "Re-enable it", "value": {"status": "active"}},
                "events": {"summary": "Follow every event", "value": {"events": ["*"]}},
            }
        ),
    ],
    principal: Annotated[Principal, allow("webhooks:configure")],
    stores: StoresDep,
    settings: SettingsDep,
) -> Webhook:
    given = body.model_dump(exclude_unset=True)
    # null for a required field means "unchanged" only for description, which may be
    # cleared; the others keep their value.
    values: dict[str, Any] = {}
    if body.url is not None:
        values["url"] = await _checked_url(body.url, settings)
    if body.events is not None:
        values["events"] = _checked_events(body.events)
    if "description" in given:
        values["description"] = body.description
    now = utcnow()
    async with stores.db.transaction() as conn:
        current = await repo.get_webhook(conn, principal.tenant_id, webhook_id, lock=True)
        if current is None:
            raise NotFound(f"no webhook {webhook_id}")
        if body.status == "disabled" and current["status"] == "active":
            values |= {"status": "disabled", "disabled_reason": "disabled_by_admin"}
            values |= {"disabled_at": now}
        elif body.status == "active" and current["status"] == "disabled":
            values |= {"status": "active", "disabled_reason": None, "disabled_at": None}
            values |= {"notice_pending": False}
        row = await repo.update_webhook(
            conn, principal.tenant_id, webhook_id, {**values, "updated_at": now}
        )
        assert row is not None  # locked above
        await record_change(
            conn, principal, "update", "webhook", webhook_id, fields=body.model_fields_set
        )
    return _webhook(row)


@router.delete(
    "/{webhook_id}",
    status_code=204,
    summary="Delete a webhook (admins)",
    description="Its deliveries stop, pending ones too, and its delivery log goes with it.",
    responses=problems({403: ADMINS, 404: NO_SUCH}),
)
async def delete_webhook(
    webhook_id: UUID,
    principal: Annotated[Principal, allow("webhooks:configure")],
    stores: StoresDep,
) -> Response:
    async with stores.db.transaction() as conn:
        if not await repo.delete_webhook(conn, principal.tenant_id, webhook_id):
            raise NotFound(f"no webhook {webhook_id}")
        await record_change(conn, principal, "delete", "webhook", webhook_id)
    return Response(status_code=204)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=DeliveryPage,
    summary="A webhook's deliveries (admins)",
    description="Newest first, each with its status, attempts, the last answer and when "
    "the next attempt is due; the parameters of every list (`updated_since` and "
    "`sort=updated_at` read a delivery's creation).",
    responses=problems({403: ADMINS, 404: NO_SUCH}),
)
async def list_deliveries(
    webhook_id: UUID,
    principal: Annotated[Principal, allow("webhooks:configure")],
    stores: StoresDep,
    listing: ListParams,
) -> DeliveryPage:
    await _get(stores, principal.tenant_id, webhook_id)
    async with stores.db.read() as conn:
        found = await repo.page_deliveries(conn, principal.tenant_id, webhook_id, listing.window)
    return DeliveryPage(
        items=[Delivery.model_validate(r) for r in found.rows],
        next_cursor=listing.next_cursor(found.next_after),
    )


def _accepted(row: dict[str, Any]) -> JSONResponse:
    return JSONResponse(Delivery.model_validate(row).model_dump(mode="json"), status_code=202)


ACCEPTED_DELIVERY = {
    "description": "Accepted: the delivery is due now (a worker sends it within a second)",
    "content": {"application/json": {"example": DELIVERY_EXAMPLE}},
}


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/retry",
    status_code=202,
    response_model=Delivery,
    summary="Send a delivery again (admins)",
    description="Makes it due now, with a new retry period; it keeps its id, so the "
    "receiver sees the same `webhook-id` (and may drop it if it had it already).",
    responses={
        202: ACCEPTED_DELIVERY,
        **problems(
            {
                403: ADMINS,
                404: "No such webhook in your agency, or no such delivery of it",
                409: "The webhook is disabled: re-enable it first",
            }
        ),
    },
)
async def retry_delivery(
    webhook_id: UUID,
    delivery_id: UUID,
    principal: Annotated[Principal, allow("webhooks:configure")],
    stores: StoresDep,
) -> JSONResponse:
    hook = await _get(stores, principal.tenant_id, webhook_id)
    if hook["status"] != "active":
        raise Conflict("the webhook is disabled: re-enable it (`PATCH` `status: active`) first")
    async with stores.db.transaction() as conn:
        row = await repo.retry_delivery(
            conn, principal.tenant_id, webhook_id, delivery_id, utcnow()
        )
    if row is None:
        raise NotFound(f"no delivery {delivery_id} of webhook {webhook_id}")
    return _accepted(row)


@router.post(
    "/{webhook_id}/test",
    status_code=202,
    response_model=Delivery,
    summary="Send a test event to a webhook (admins)",
    description="Queues a `webhook.test` event for this endpoint only, signed and retried "
    "like any other; its delivery is in the answer and in the deliveries list.",
    responses={
        202: {
            **ACCEPTED_DELIVERY,
            "links": {
                "retry_delivery": {
                    "operationId": "retry_delivery",
                    "parameters": {
                        "webhook_id": "$response.body#/webhook_id",
                        "delivery_id": "$response.body#/id",
                    },
                }
            },
        },
        **problems({403: ADMINS, 404: NO_SUCH, 409: "The webhook is disabled: re-enable it first"}),
    },
)
async def test_webhook(
    webhook_id: UUID,
    principal: Annotated[Principal, allow("webhooks:configure")],
    stores: StoresDep,
) -> JSONResponse:
    hook = await _get(stores, principal.tenant_id, webhook_id)
    if hook["status"] != "active":
        raise Conflict("the webhook is disabled: re-enable it (`PATCH` `status: active`) first")
    now, event_id = utcnow(), uuid.uuid4()
    event = EventEnvelope(
        event_id=event_id,
        type=WEBHOOK_TEST,
        tenant_id=principal.tenant_id,
        aggregate_id=webhook_id,
        version=hook["version"],
        occurred_at=now,
        caused_by=event_id,
        actor=Actor(id=str(principal.id), kind=principal.kind),
        data=WebhookTest(
            webhook_id=webhook_id, message="A test event from RefactorTrack"
        ).model_dump(mode="json"),
    )
    delivery_id = uuid.uuid4()
    async with stores.db.transaction() as conn:
        # Held until the delivery is in: a webhook deleted meanwhile is a 404, not a 500.
        if await repo.get_webhook(conn, principal.tenant_id, webhook_id, lock=True) is None:
            raise NotFound(f"no webhook {webhook_id}")
        await repo.record_deliveries(
            conn,
            [
                {
                    "id": delivery_id,
                    "tenant_id": principal.tenant_id,
                    "webhook_id": webhook_id,
                    "event_id": event_id,
                    "event_type": WEBHOOK_TEST,
                    "aggregate_id": webhook_id,
                    "event": event.model_dump(mode="json"),
                    "status": "pending",
                    "next_attempt_at": now,
                    "period_started_at": now,
                    "created_at": now,
                }
            ],
        )
        row = await repo.get_delivery(conn, principal.tenant_id, webhook_id, delivery_id)
    assert row is not None
    return _accepted(row)
