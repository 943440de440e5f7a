"""Webhooks' rules: subscriptions, targets, signatures (checked by the `standardwebhooks`
library a receiver would use) and the retry schedule."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from standardwebhooks import Webhook

from agents.webhooks.recorder import deliveries_for, readable, tenants_in
from core.settings import Settings
from domain.webhooks import (
    BadTarget,
    RetrySchedule,
    follows,
    is_public_address,
    is_retryable,
    new_secret,
    parse_target,
    secret_key,
    signature,
    unknown_subscriptions,
)
from stores.webhook_targets import resolve_target
from topics.catalog import event_types


def test_subscriptions_match_types_prefixes_and_everything() -> None:
    assert follows(["candidate.created"], "candidate.created")
    assert not follows(["candidate.created"], "candidate.updated")
    assert follows(["submission.*"], "submission.stage_changed")
    assert not follows(["submission.*"], "submissions.x")
    assert follows(["*"], "note.created")


def test_unknown_subscriptions_are_named() -> None:
    known = event_types()
    assert unknown_subscriptions(["candidate.created", "submission.*", "*"], known) == []
    assert unknown_subscriptions(["candidate.creatd", "nothing.*"], known) == [
        "candidate.creatd",
        "nothing.*",
    ]
    assert "webhook.disabled" in known


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "2002:7f00:1::",
        "224.0.0.1",
        "not an address",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/x", "https://user:pw@example.com/", "https:///path", "example.com/x"],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(BadTarget):
        parse_target(url)


def test_a_url_s_parts() -> None:
    target = parse_target("https://Hooks.Example.com/in?x=1")
    assert (target.scheme, target.host, target.port) == ("https", "hooks.example.com", 443)
    assert parse_target("http://127.0.0.1:8080/").port == 8080


def _settings(**values: str) -> Settings:
    return Settings(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://[::1]:9/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.7/hook",
    ],
)
async def test_private_targets_are_refused_without_the_setting(url: str) -> None:
    settings = _settings(WEBHOOK_ALLOW_PRIVATE_TARGETS="false", WEBHOOK_ALLOWED_HOSTS="")
    with pytest.raises(BadTarget, match="private, loopback or link-local"):
        await resolve_target(url, settings)


async def test_private_targets_are_allowed_with_the_setting() -> None:
    settings = _settings(WEBHOOK_ALLOW_PRIVATE_TARGETS="true", WEBHOOK_ALLOWED_HOSTS="")
    target = await resolve_target("http://127.0.0.1:9/hook", settings)
    assert target.address == "127.0.0.1"


async def test_unresolvable_and_unlisted_hosts_are_refused() -> None:
    settings = _settings(WEBHOOK_ALLOW_PRIVATE_TARGETS="true", WEBHOOK_ALLOWED_HOSTS="")
    with pytest.raises(BadTarget, match="does not resolve"):
        await resolve_target("https://no-such-host.invalid/hook", settings)
    listed = _settings(WEBHOOK_ALLOW_PRIVATE_TARGETS="true", WEBHOOK_ALLOWED_HOSTS="localhost")
    with pytest.raises(BadTarget, match="not one this system may send to"):
        await resolve_target("http://127.0.0.1:9/hook", listed)


def test_signatures_verify_with_the_standard_webhooks_library() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(secret_key(secret)) == 32
    body = b'{"type":"candidate.created","timestamp":"2026-11-30T00:00:00Z","data":{}}'
    timestamp = int(datetime.now(UTC).timestamp())
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, "msg_1", timestamp, body),
    }
    assert Webhook(secret).verify(body, headers)["type"] == "candidate.created"
    assert headers["webhook-signature"] == Webhook(secret).sign(
        "msg_1", datetime.fromtimestamp(timestamp, UTC), body.decode()
    )


def test_retries_back_off_with_jitter_and_end_with_the_period() -> None:
    schedule = RetrySchedule(base_seconds=5, cap_seconds=3600, period_seconds=27 * 3600)
    rng = random.Random(7)
    delays = [schedule.delay(n, rng) for n in range(1, 20)]
    assert 2.5 <= delays[0] <= 5
    assert 20 <= delays[3] <= 40
    assert all(1800 <= d <= 3600 for d in delays[12:])
    start = datetime(2026, 11, 30, tzinfo=UTC)
    # Within the period: a later attempt, never past the period's end.
    late = start + timedelta(hours=26, minutes=59)
    next_at = schedule.next_attempt(30, late, start)
    assert next_at == start + timedelta(hours=27)
    assert schedule.next_attempt(31, start + timedelta(hours=27), start) is None


def test_the_whole_schedule_covers_at_least_a_day() -> None:
    schedule = RetrySchedule(base_seconds=5, cap_seconds=7200, period_seconds=27 * 3600)
    start = now = datetime(2026, 11, 30, tzinfo=UTC)
    attempts = 1
    while (next_at := schedule.next_attempt(attempts, now, start)) is not None:
        now, attempts = next_at, attempts + 1
    assert now - start >= timedelta(hours=24)
    assert 15 <= attempts <= 60


@pytest.mark.parametrize(
    ("code", "retried"),
    [
        (None, True),
        (500, True),
        (503, True),
        (408, True),
        (429, True),
        (301, True),
        (400, False),
        (401, False),
        (404, False),
        (410, False),
    ],
)
def test_which_failures_are_retried(code: int | None, retried: bool) -> None:
    assert is_retryable(code) is retried


def test_the_recorder_makes_one_delivery_per_following_webhook_in_event_order() -> None:
    tenant, other = uuid.uuid4(), uuid.uuid4()
    aggregate = uuid.uuid4()

    def event(type_: str, tenant_id: uuid.UUID) -> bytes:
        return orjson.dumps(
            {
                "event_id": str(uuid.uuid4()),
                "type": type_,
                "tenant_id": str(tenant_id),
                "aggregate_id": str(aggregate),
                "version": 1,
                "occurred_at": "2026-11-30T00:00:00Z",
                "caused_by": str(uuid.uuid4()),
                "actor": {"id": "u", "kind": "user"},
                "data": {},
            }
        )

    with_nul = orjson.loads(event("candidate.updated", tenant))
    with_nul["data"] = {"text": "a\x00b", "list": ["\x00"]}
    values = [
        orjson.dumps(with_nul),
        event("candidate.created", tenant),
        None,  # a tombstone
        b"not json",
        event("candidate.updated", tenant),
        event("candidate.created", other),
    ]
    hooks = [
        {"id": uuid.uuid4(), "tenant_id": tenant, "events": ["candidate.*"]},
        {"id": uuid.uuid4(), "tenant_id": tenant, "events": ["candidate.updated"]},
    ]
    rows = deliveries_for(readable(values), hooks, datetime.now(UTC))
    # A JSONB column refuses NUL: it is dropped from what is stored.
    assert rows[0]["event"]["data"] == {"text": "ab", "list": [""]}
    rows = rows[2:]
    assert [(r["webhook_id"], r["event_type"]) for r in rows] == [
        (hooks[0]["id"], "candidate.created"),
        (hooks[0]["id"], "candidate.updated"),
        (hooks[1]["id"], "candidate.updated"),
    ]
    assert all(r["tenant_id"] == tenant and r["status"] == "pending" for r in rows)
    # The recorder asks only for the agencies a batch is about, and reads (validates,
    # cleans) only the events of those that have webhooks: the same deliveries.
    assert tenants_in(values) == {tenant, other}
    assert readable(values, {other}) == [readable(values)[-1]]
    only_theirs = deliveries_for(readable(values, {tenant}), hooks, datetime.now(UTC))
    assert [r["event_id"] for r in only_theirs] == [
        r["event_id"] for r in deliveries_for(readable(values), hooks, datetime.now(UTC))
    ]
