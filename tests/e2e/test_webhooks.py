"""Webhooks against the running system: a receiver in the test (aiohttp on 127.0.0.1) gets
the agency's events, signed, and verifies them with the `standardwebhooks` library.

The suite's settings (tests/conftest.py) allow loopback targets, and only those, and
shrink the retry schedule to seconds: a retry period of 8 s, a 3 s timeout.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from aiohttp import web
from standardwebhooks import Webhook

from tests.e2e.conftest import Agency, System, _agency
from tests.e2e.helpers import candidate_body, eventually, post_json

pytestmark = pytest.mark.stack

Answer = Callable[[str, int], Awaitable[int]]


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int
    at: float

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    def json(self) -> Any:
        return orjson.loads(self.body)


async def ok(_id: str, _attempt: int) -> int:
    return 200


@dataclass
class Receiver:
    """An endpoint that answers each attempt as `answer` says and keeps what it got."""

    answer: Answer = ok
    port: int = 0
    received: list[Received] = field(default_factory=list)
    attempts: Counter[str] = field(default_factory=Counter)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/in"

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        message_id = headers.get("webhook-id", "")
        self.attempts[message_id] += 1
        status = await self.answer(message_id, self.attempts[message_id])
        self.received.append(Received(headers, body, status, time.monotonic()))
        return web.Response(status=status)

    def delivered(self) -> list[Received]:
        return [r for r in self.received if 200 <= r.status < 300]


@asynccontextmanager
async def receiving(answer: Answer = ok) -> AsyncIterator[Receiver]:
    receiver = Receiver(answer)
    app = web.Application()
    app.router.add_post("/{tail:.*}", receiver.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    receiver.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    try:
        yield receiver
    finally:
        receiver.release.set()
        await runner.cleanup()


@asynccontextmanager
async def admin(system: System) -> AsyncIterator[Agency]:
    async with _agency(system, role="admin") as made:
        yield made


async def add_webhook(agency: Agency, url: str, events: list[str]) -> dict[str, Any]:
    response = await agency.client.post("/api/v1/webhooks", json={"url": url, "events": events})
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    assert response.headers["location"] == f"/api/v1/webhooks/{made['id']}"
    return made


async def new_candidate(agency: Agency) -> dict[str, Any]:
    made: dict[str, Any] = await post_json(agency, "/api/v1/candidates", candidate_body())
    return made


def verified(secret: str, got: Received) -> Any:
    """The body, once `standardwebhooks` (what a receiver would use) has verified it."""
    return Webhook(secret).verify(got.body, got.headers)


async def test_deliveries_are_signed_and_verify(system: System) -> None:
    async with admin(system) as agency, receiving() as receiver:
        hook = await add_webhook(agency, receiver.url, ["candidate.created"])
        assert hook["secret"].startswith("whsec_")
        assert hook["status"] == "active"
        shown = (await agency.client.get(f"/api/v1/webhooks/{hook['id']}")).json()
        assert "secret" not in shown
        assert shown["events"] == ["candidate.created"]
        candidate = await new_candidate(agency)

        async def arrived() -> Received | None:
            return receiver.delivered()[0] if receiver.delivered() else None

        got = await eventually(arrived, what="a delivery")
        body = verified(hook["secret"], got)
        assert body["type"] == "candidate.created"
        envelope = body["data"]
        assert envelope["aggregate_id"] == candidate["id"]
        assert envelope["tenant_id"] == str(agency.tenant_id)
        assert body["timestamp"] == envelope["occurred_at"]
        # Personal fields are opened for the receiver; no key material goes with them.
        assert envelope["data"]["first_name"] == "Ada"
        assert "subject_id" not in envelope
        assert int(got.headers["webhook-timestamp"]) == pytest.approx(time.time(), abs=60)
        # A wrong secret does not verify.
        with pytest.raises(Exception, match="No matching signature"):
            Webhook("whsec_" + "A" * 44).verify(got.body, got.headers)

        async def recorded() -> dict[str, Any] | None:
            page = (await agency.client.get(f"/api/v1/webhooks/{hook['id']}/deliveries")).json()
            done = [d for d in page["items"] if d["status"] == "delivered"]
            return done[0] if done else None

        delivery = await eventually(recorded, what="the delivery recorded as delivered")
        assert delivery["id"] == got.id
        assert delivery["event_type"] == "candidate.created"
        assert delivery["attempts"] == 1
        assert delivery["last_response_code"] == 200


async def test_a_failing_receiver_that_recovers_gets_each_event_once_in_order(
    system: System,
) -> None:
    async def twice_down(_id: str, attempt: int) -> int:
        return 503 if attempt <= 2 else 204

    async with admin(system) as agency, receiving(twice_down) as receiver:
        hook = await add_webhook(agency, receiver.url, ["candidate.*"])
        first = await new_candidate(agency)
        second = await new_candidate(agency)
        changed = await agency.client.patch(
            f"/api/v1/candidates/{first['id']}", json={"headline": "Principal Engineer"}
        )
        assert changed.status_code == 200, changed.text

        async def all_three() -> list[Received] | None:
            got = receiver.delivered()
            return got if len(got) >= 3 else None

        delivered = await eventually(all_three, timeout=30, what="three deliveries")
        await asyncio.sleep(1.0)  # nothing more arrives: each event once
        delivered = receiver.delivered()
        bodies = [verified(hook["secret"], r) for r in delivered]
        assert len(bodies) == 3
        assert len({b["data"]["event_id"] for b in bodies}) == 3
        # Every delivery took three attempts, all under one webhook-id.
        for got in delivered:
            assert receiver.attempts[got.id] == 3
            same = [r for r in receiver.received if r.id == got.id]
            assert [r.status for r in same] == [503, 503, 204]
            assert len({r.headers["webhook-signature"] for r in same}) >= 1
        # One candidate's events arrive in their order: the update waited for the create.
        firsts = [b["type"] for b in bodies if b["data"]["aggregate_id"] == first["id"]]
        assert firsts == ["candidate.created", "candidate.updated"]
        assert [b["type"] for b in bodies if b["data"]["aggregate_id"] == second["id"]] == [
            "candidate.created"
        ]


async def test_a_hanging_receiver_does_not_delay_another_agency(system: System) -> None:
    async def hang(_id: str, _attempt: int) -> int:
        await asyncio.sleep(60)
        return 200

    async with (
        admin(system) as slow_agency,
        admin(system) as other,
        receiving(hang) as stuck,
        receiving() as healthy,
    ):
        await add_webhook(slow_agency, stuck.url, ["candidate.created"])
        await add_webhook(other, healthy.url, ["candidate.created"])
        # Enough hanging deliveries to fill every slot the endpoint and its agency have.
        await asyncio.gather(*(new_candidate(slow_agency) for _ in range(12)))

        async def hanging() -> bool:
            return len(stuck.received) + sum(stuck.attempts.values()) > 0

        await eventually(hanging, what="the stuck receiver to be called")
        started = time.monotonic()
        await new_candidate(other)

        async def arrived() -> Received | None:
            return healthy.delivered()[0] if healthy.delivered() else None

        got = await eventually(arrived, timeout=10, what="the other agency's delivery")
        # Well within one attempt's timeout (3 s): it did not wait behind the hung ones.
        assert got.at - started < 2.5, got.at - started


async def test_a_webhook_that_keeps_failing_is_disabled_and_admins_are_told(
    system: System,
) -> None:
    async def down(_id: str, _attempt: int) -> int:
        return 500

    async with admin(system) as agency, receiving(down) as dead, receiving() as watcher:
        hook = await add_webhook(agency, dead.url, ["candidate.created"])
        # The agency's admins follow their webhooks' own events on another endpoint.
        watching = await add_webhook(agency, watcher.url, ["webhook.*"])
        await new_candidate(agency)

        async def disabled() -> dict[str, Any] | None:
            found = (await agency.client.get(f"/api/v1/webhooks/{hook['id']}")).json()
            return found if found["status"] == "disabled" else None

        # The retry period is 8 s; a little more for the last attempt to be recorded.
        found = await eventually(disabled, timeout=25, what="the webhook disabled")
        assert found["disabled_reason"] == "deliveries_failing"
        assert found["disabled_at"] is not None
        assert sum(dead.attempts.values()) >= 3

        async def told() -> Received | None:
            got = watcher.delivered()
            return got[0] if got else None

        notice = verified(watching["secret"], await eventually(told, what="webhook.disabled"))
        assert notice["type"] == "webhook.disabled"
        assert notice["data"]["aggregate_id"] == hook["id"]
        assert notice["data"]["data"]["disabled_reason"] == "deliveries_failing"
        assert notice["data"]["data"]["url"] == dead.url

        page = (await agency.client.get(f"/api/v1/webhooks/{hook['id']}/deliveries")).json()
        assert [d["status"] for d in page["items"]] == ["failed"]
        # Disabled, it sends nothing; an admin re-enables it.
        before = sum(dead.attempts.values())
        await new_candidate(agency)
        await asyncio.sleep(1.5)
        assert sum(dead.attempts.values()) == before
        enabled = await agency.client.patch(
            f"/api/v1/webhooks/{hook['id']}", json={"status": "active"}
        )
        assert enabled.status_code == 200, enabled.text
        assert enabled.json()["status"] == "active"
        assert enabled.json()["disabled_reason"] is None


async def test_deliveries_list_and_manual_retry(system: System) -> None:
    refusing = True

    async def refuse_then_take(_id: str, _attempt: int) -> int:
        return 422 if refusing else 200

    async with admin(system) as agency, receiving(refuse_then_take) as receiver:
        hook = await add_webhook(agency, receiver.url, ["candidate.created"])
        await new_candidate(agency)
        deliveries = f"/api/v1/webhooks/{hook['id']}/deliveries"

        async def failed() -> dict[str, Any] | None:
            items = (await agency.client.get(deliveries)).json()["items"]
            return items[0] if items and items[0]["status"] == "failed" else None

        # A 4xx other than 408/429 fails the delivery at once: not retried.
        delivery = await eventually(failed, what="the refused delivery failed")
        assert delivery["attempts"] == 1
        assert delivery["last_response_code"] == 422
        assert delivery["next_attempt_at"] is None
        refusing = False
        retried = await agency.client.post(f"{deliveries}/{delivery['id']}/retry")
        assert retried.status_code == 202, retried.text
        assert retried.json()["status"] == "pending"

        async def delivered() -> dict[str, Any] | None:
            items = (await agency.client.get(deliveries)).json()["items"]
            return items[0] if items and items[0]["status"] == "delivered" else None

        done = await eventually(delivered, what="the retried delivery delivered")
        assert done["attempts"] == 2
        assert done["last_response_code"] == 200
        # The same webhook-id both times: a receiver can tell it is the same delivery.
        assert [r.id for r in receiver.received] == [delivery["id"], delivery["id"]]
        verified(hook["secret"], receiver.received[-1])
        missing = await agency.client.post(f"{deliveries}/{uuid.uuid4()}/retry")
        assert missing.status_code == 404


async def test_the_test_endpoint_sends_a_test_event(system: System) -> None:
    async with admin(system) as agency, receiving() as receiver:
        hook = await add_webhook(agency, receiver.url, ["requisition.created"])
        queued = await agency.client.post(f"/api/v1/webhooks/{hook['id']}/test")
        assert queued.status_code == 202, queued.text
        assert queued.json()["event_type"] == "webhook.test"

        async def arrived() -> Received | None:
            return receiver.delivered()[0] if receiver.delivered() else None

        got = await eventually(arrived, what="the test event")
        assert got.id == queued.json()["id"]
        body = verified(hook["secret"], got)
        assert body["type"] == "webhook.test"
        assert body["data"]["data"]["webhook_id"] == hook["id"]


async def test_webhooks_are_the_admins_and_their_agency_s(system: System, agency: Agency) -> None:
    # `agency` is a recruiter's: 403 naming the permission.
    refused = await agency.client.post(
        "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/x", "events": ["*"]}
    )
    assert refused.status_code == 403
    assert refused.json()["permission"] == "webhooks:configure"
    async with admin(system) as mine, admin(system) as theirs:
        hook = await add_webhook(mine, "http://127.0.0.1:9/x", ["*"])
        for method, path in (
            ("GET", f"/api/v1/webhooks/{hook['id']}"),
            ("PATCH", f"/api/v1/webhooks/{hook['id']}"),
            ("DELETE", f"/api/v1/webhooks/{hook['id']}"),
            ("GET", f"/api/v1/webhooks/{hook['id']}/deliveries"),
            ("POST", f"/api/v1/webhooks/{hook['id']}/test"),
        ):
            kwargs: dict[str, Any] = {"json": {}} if method == "PATCH" else {}
            answer = await theirs.client.request(method, path, **kwargs)
            assert answer.status_code == 404, (method, path, answer.text)
        assert (await theirs.client.get("/api/v1/webhooks")).json()["items"] == []

        unknown = await mine.client.post(
            "/api/v1/webhooks",
            json={"url": "http://127.0.0.1:9/x", "events": ["candidate.creatd", "nope.*"]},
        )
        assert unknown.status_code == 422
        assert "candidate.creatd, nope.*" in unknown.json()["errors"]["events"]
        # Only the hosts the operator allows (here 127.0.0.1 and localhost) are targets;
        # private addresses without WEBHOOK_ALLOW_PRIVATE_TARGETS: tests/unit/test_webhook_rules.py.
        elsewhere = await mine.client.post(
            "/api/v1/webhooks", json={"url": "http://10.0.0.7/hook", "events": ["*"]}
        )
        assert elsewhere.status_code == 422
        assert "url" in elsewhere.json()["errors"]

        listed = await mine.client.get("/api/v1/webhooks", params={"limit": 1})
        assert [w["id"] for w in listed.json()["items"]] == [hook["id"]]
        changed = await mine.client.patch(
            f"/api/v1/webhooks/{hook['id']}", json={"events": ["submission.*"]}
        )
        assert changed.json()["events"] == ["submission.*"]
        assert changed.json()["version"] == 2
        assert (await mine.client.delete(f"/api/v1/webhooks/{hook['id']}")).status_code == 204
        assert (await mine.client.get(f"/api/v1/webhooks/{hook['id']}")).status_code == 404

        trail = await mine.client.get("/api/v1/audit", params={"subject_id": hook["id"]})
        assert trail.status_code == 200, trail.text
        actions = sorted(e["action"] for e in trail.json()["items"])
        assert actions == ["create", "delete", "update"]


async def test_a_person_erased_before_delivery_is_delivered_without_personal_fields(
    system: System,
) -> None:
    up = False

    async def down_until_told(_id: str, _attempt: int) -> int:
        return 200 if up else 503

    async with admin(system) as agency, receiving(down_until_told) as receiver:
        hook = await add_webhook(agency, receiver.url, ["candidate.created"])
        candidate = await new_candidate(agency)

        async def tried() -> bool:
            return bool(receiver.received)

        await eventually(tried, what="a first, failed attempt")
        # Its personal fields were readable then; the person is erased before the retry.
        assert verified(hook["secret"], receiver.received[0])["data"]["data"]["first_name"]
        erased = await agency.client.delete(f"/api/v1/candidates/{candidate['id']}")
        assert erased.status_code == 204, erased.text
        up = True

        async def arrived() -> Received | None:
            return receiver.delivered()[0] if receiver.delivered() else None

        body = verified(hook["secret"], await eventually(arrived, what="the retry"))
        person = body["data"]["data"]
        assert person["id"] == candidate["id"]
        assert person["first_name"] is None
        assert person["last_name"] is None
        assert person["emails"] is None
        assert candidate["last_name"].encode() not in receiver.received[-1].body
