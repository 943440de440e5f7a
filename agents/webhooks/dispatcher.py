"""Sends the due deliveries, apart from every consumer loop.

Each worker process runs one dispatcher. It claims due deliveries from Postgres (a lease,
so two workers never send the same attempt at once, and one that dies mid-attempt leaves
it to be taken again), and sends each in a task of its own, with at most
WEBHOOK_CONCURRENCY_PER_ENDPOINT attempts in flight per endpoint and
WEBHOOK_CONCURRENCY_PER_AGENCY per agency, counted across the workers by their leases
(and WEBHOOK_CONCURRENCY per process): a receiver that hangs holds its own slots until
the timeout, and nobody else's. A delivery waits while an earlier one of the same
endpoint and aggregate is pending (stores/postgres/webhooks.py), so one record's events
arrive in order.

Outcomes: a 2xx delivers; a timeout, a connection error, 408, 429, a redirect or a 5xx is
tried again on the retry schedule (domain/webhooks.py) until its period is over; any
other 4xx fails the delivery at once. A delivery that fails for its whole period
disables its webhook if the endpoint accepted nothing meanwhile, and `webhook.disabled`
is published for the agency's admins.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from agents.processor import Publisher
from agents.webhooks.bodies import delivery_body
from agents.webhooks.sender import Attempt, WebhookSender
from core.clock import utcnow
from core.settings import Settings
from domain.webhooks import RetrySchedule, is_retryable, is_success
from stores.bundle import Stores
from stores.postgres import webhooks as repo
from stores.webhook_secrets import WebhookSecrets
from topics.envelopes import Actor, EventEnvelope
from topics.names import WEBHOOK_EVENTS
from topics.webhooks import WEBHOOK_DISABLED, WebhookDisabled

log = logging.getLogger(__name__)

# A claim outlives the attempt (its timeout) by this much before another worker may take it.
LEASE_MARGIN_SECONDS = 30.0
NOTICE_CHECK_SECONDS = 5.0
PRUNE_EVERY_SECONDS = 3600.0
PRUNE_BATCH = 5000
MAX_IDLE_DELAY_SECONDS = 10.0
SYSTEM_ACTOR = Actor(id="webhooks", kind="system")

Row = dict[str, Any]


def schedule_of(settings: Settings) -> RetrySchedule:
    return RetrySchedule(
        settings.webhook_retry_base_seconds,
        settings.webhook_retry_cap_seconds,
        settings.webhook_retry_period_seconds,
    )


def disabled_event(row: Row) -> EventEnvelope:
    """`webhook.disabled` for a webhook row; its id derives from the disabling, so a
    notice published twice (a worker stopped in between) is recognisably one."""
    disabled_at = row["disabled_at"]
    return EventEnvelope(
        event_id=uuid.uuid5(row["id"], f"{WEBHOOK_DISABLED}:{disabled_at.isoformat()}"),
        type=WEBHOOK_DISABLED,
        tenant_id=row["tenant_id"],
        aggregate_id=row["id"],
        version=row["version"],
        occurred_at=disabled_at,
        caused_by=row["id"],
        actor=SYSTEM_ACTOR,
        data=WebhookDisabled(
            webhook_id=row["id"],
            url=row["url"],
            disabled_reason="deliveries_failing",
            disabled_at=disabled_at,
            last_success_at=row["last_success_at"],
        ).model_dump(mode="json"),
    )


class Dispatcher:
    def __init__(
        self,
        settings: Settings,
        stores: Stores,
        sender: WebhookSender,
        publisher: Publisher,
        *,
        namespace: str,
    ) -> None:
        self._settings = settings
        self._stores = stores
        self._sender = sender
        self._publisher = publisher
        self._topic = WEBHOOK_EVENTS.name(namespace)
        self._secrets = WebhookSecrets(stores.keys)
        self._schedule = schedule_of(settings)
        self._wake = asyncio.Event()
        self._endpoints: Counter[UUID] = Counter()
        self._agencies: Counter[UUID] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()
        self._notices_due = True
        self._notices_checked = 0.0
        self._pruned = 0.0

    def wake(self) -> None:
        """New deliveries are due: look now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Claim and send until cancelled."""
        delay = self._settings.webhook_poll_seconds
        while True:
            try:
                await self._stores.start()
                await self._publish_notices()
                await self._prune()
                claimed = await self._claim()
                delay = self._settings.webhook_poll_seconds
            except Exception as exc:
                log.warning("webhook dispatch could not claim deliveries (%r); retrying", exc)
                claimed = []
                delay = min(delay * 2, MAX_IDLE_DELAY_SECONDS)
            for row in claimed:
                self._start(row)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def stop(self) -> None:
        """Stop the attempts in flight: their leases run out and they are sent again."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- claiming ------------------------------------------------------------------------

    async def _claim(self) -> list[Row]:
        s = self._settings
        room = s.webhook_concurrency - len(self._tasks)
        if room <= 0:
            return []
        full_endpoints = [
            k for k, n in self._endpoints.items() if n >= s.webhook_concurrency_per_endpoint
        ]
        full_agencies = [
            k for k, n in self._agencies.items() if n >= s.webhook_concurrency_per_agency
        ]
        async with self._stores.db.transaction() as conn:
            return await repo.claim_due(
                conn,
                now=utcnow(),
                lease_seconds=s.webhook_timeout_seconds + LEASE_MARGIN_SECONDS,
                limit=room,
                per_endpoint=s.webhook_concurrency_per_endpoint,
                per_agency=s.webhook_concurrency_per_agency,
                full_endpoints=full_endpoints,
                full_agencies=full_agencies,
            )

    def _start(self, row: Row) -> None:
        self._endpoints[row["webhook_id"]] += 1
        self._agencies[row["tenant_id"]] += 1
        task = asyncio.create_task(self._deliver(row), name=f"webhook-delivery-{row['id']}")
        self._tasks.add(task)
        task.add_done_callback(functools.partial(self._done, row))

    def _done(self, row: Row, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        for counter, key in (
            (self._endpoints, row["webhook_id"]),
            (self._agencies, row["tenant_id"]),
        ):
            counter[key] -= 1
            if counter[key] <= 0:
                del counter[key]
        # Room again: what waited for this endpoint or agency may go now.
        self._wake.set()

    # --- one attempt ---------------------------------------------------------------------

    async def _deliver(self, row: Row) -> None:
        try:
            try:
                body = await delivery_body(self._stores.sealer, row["event"])
            except ValidationError as exc:
                # A stored event that does not read as an envelope will not read next
                # time either: failed, with why, rather than tried for ever.
                await self._record(
                    row, Attempt(None, f"unreadable event: {exc.error_count()} errors"), final=True
                )
                return
            secret = self._secrets.open(row["tenant_id"], row["webhook_id"], row["secret"])
            attempt = await self._sender.send(row["url"], str(row["id"]), body, secret)
            await self._record(row, attempt)
        except asyncio.CancelledError:
            raise
        except Exception:
            # Its lease runs out and another claim tries again: nothing is lost.
            log.exception("webhook delivery %s could not be attempted", row["id"])

    async def _record(self, row: Row, attempt: Attempt, *, final: bool = False) -> None:
        now = utcnow()
        code = attempt.status_code
        disabled = False
        async with self._stores.db.transaction() as conn:
            await repo.lock_for_outcome(conn, row["webhook_id"])
            if code is not None and is_success(code):
                await repo.record_success(conn, row["id"], row["webhook_id"], code, now)
                return
            retry = is_retryable(code) and not final
            next_at = (
                self._schedule.next_attempt(row["attempts"] + 1, now, row["period_started_at"])
                if retry
                else None
            )
            await repo.record_failure(
                conn,
                row["id"],
                code=code,
                error=attempt.error or f"HTTP {code}",
                now=now,
                next_attempt_at=next_at,
            )
            if retry and next_at is None:
                # Failed for its whole period: the endpoint too, unless it accepted
                # another delivery meanwhile.
                disabled = await repo.disable_if_failing(
                    conn, row["webhook_id"], row["period_started_at"], now
                )
        if disabled:
            log.warning("webhook %s disabled: its deliveries kept failing", row["webhook_id"])
            self._notices_due = True
            self._wake.set()

    async def _prune(self) -> None:
        """Once an hour, delete the deliveries that ended longer ago than the retention
        (each worker does it; a batch at a time keeps the locks short)."""
        if time.monotonic() - self._pruned < PRUNE_EVERY_SECONDS:
            return
        self._pruned = time.monotonic()
        days = self._settings.webhook_delivery_retention_days
        cutoff = utcnow() - timedelta(days=days)
        while True:
            async with self._stores.db.transaction() as conn:
                gone = await repo.delete_ended_before(conn, cutoff, PRUNE_BATCH)
            if gone < PRUNE_BATCH:
                return

    # --- telling the agency --------------------------------------------------------------

    async def _publish_notices(self) -> None:
        """Publish `webhook.disabled` for each webhook disabled and not yet told (a row
        flag, so a worker stopped in between tells it on its next look)."""
        if (
            not self._notices_due
            and time.monotonic() - self._notices_checked < NOTICE_CHECK_SECONDS
        ):
            return
        self._notices_due = False
        self._notices_checked = time.monotonic()
        async with self._stores.db.lookup() as conn:
            rows = await repo.pending_notices(conn)
        for row in rows:
            event = disabled_event(row)
            await self._publisher.publish(
                self._topic,
                str(row["id"]).encode(),
                event.model_dump_json().encode(),
                [("event_type", WEBHOOK_DISABLED.encode())],
            )
            async with self._stores.db.transaction() as conn:
                await repo.notice_published(conn, row["id"])
