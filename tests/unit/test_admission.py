"""A write's time counts from its request's arrival, and a gateway takes no more writes
than it can send in time: the rest are told 503 at once, never sent."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from core.errors import StoreUnavailable, Unavailable
from gateway.admission import WriteAdmission, _arrived_at, arrived_at, command_sent
from gateway.commands import CommandBus
from topics.envelopes import CommandEnvelope, CommandOutcome
from topics.names import CANDIDATE_COMMANDS


async def test_a_write_past_the_limit_is_refused_at_once_and_its_body_read() -> None:
    inside = asyncio.Event()
    release = asyncio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        inside.set()
        await release.wait()

    admission = WriteAdmission(app, limit=1)
    first = asyncio.create_task(admission(_http("POST"), _body(b"{}"), _ignore))
    await inside.wait()
    sent: list[Message] = []
    bodies = [b"{", b"}"]

    async def receive() -> Message:
        return {"type": "http.request", "body": bodies.pop(0), "more_body": bool(bodies)}

    async def send(message: Message) -> None:
        sent.append(message)

    await asyncio.wait_for(admission(_http("POST"), receive, send), timeout=1)
    assert sent[0]["status"] == 503
    assert (b"retry-after", b"2") in sent[0]["headers"]
    assert bodies == []
    # Reads are never refused for it; and once the first write is done, writes go in again.
    inside.clear()
    read = asyncio.create_task(admission(_http("GET"), _body(b""), _ignore))
    await asyncio.wait_for(inside.wait(), timeout=1)
    release.set()
    await first
    await read
    assert admission.in_progress == 0


def _http(method: str) -> Scope:
    return {"type": "http", "method": method, "path": "/api/v1/candidates", "headers": []}


def _body(data: bytes) -> Receive:
    async def receive() -> Message:
        return {"type": "http.request", "body": data, "more_body": False}

    return receive


async def _ignore(message: Message) -> None:
    return None


async def test_the_clock_notes_each_requests_arrival() -> None:
    seen: list[float] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.sleep(0.05)
        seen.append(arrived_at())

    before = time.monotonic()
    await WriteAdmission(app, limit=1)(_http("GET"), _never, _never)
    assert before <= seen[0] <= before + 0.04
    assert _arrived_at.get() is None


async def _never(*_: Any) -> Any:
    raise AssertionError("not used")


class Fakes:
    """The bus's collaborators, recording what reached them."""

    def __init__(self) -> None:
        self.published: list[bytes] = []
        self.outcomes: list[CommandOutcome] = []

    async def seal_command(self, command: CommandEnvelope) -> CommandEnvelope:
        return command

    async def mark_accepted(self, outcome: CommandOutcome) -> None:
        self.outcomes.append(outcome)

    async def record_outcomes(self, outcomes: list[CommandOutcome], **_: Any) -> None:
        self.outcomes.extend(outcomes)

    async def publish(self, topic: str, key: str, value: bytes, **_: Any) -> None:
        self.published.append(value)

    def register(self, *_: Any) -> None:
        return None

    def forget(self, *_: Any) -> None:
        return None


def _creating(fakes: Any, *, wait: bool) -> Callable[[], Awaitable[CommandOutcome]]:
    """A bus over `fakes`, and a create submitted through it by one caller."""
    bus = CommandBus(fakes, fakes, fakes, fakes, wait_seconds=5, namespace="t", publish_seconds=3)
    principal: Any = type("P", (), {"tenant_id": uuid.uuid4(), "id": "u", "kind": "user"})()
    principal.address = None

    async def submit() -> CommandOutcome:
        return await bus.submit(
            principal,
            topic=CANDIDATE_COMMANDS,
            type="candidate.create",
            key=uuid.uuid4(),
            payload={},
            fingerprint={},
            wait=wait,
        )

    return submit


async def test_a_request_that_waited_past_its_budget_is_refused_and_never_sent() -> None:
    fakes: Any = Fakes()
    submit = _creating(fakes, wait=False)

    token = _arrived_at.set(time.monotonic())  # just arrived: sent, with a deadline
    try:
        assert (await submit()).status == "accepted"
    finally:
        _arrived_at.reset(token)
    [sent] = fakes.published
    assert CommandEnvelope.model_validate_json(sent).deadline is not None

    token = _arrived_at.set(time.monotonic() - 2.9)  # queued before the route: out of time
    try:
        with pytest.raises(Unavailable):
            await submit()
    finally:
        _arrived_at.reset(token)
    assert len(fakes.published) == 1


class SealerAway(Fakes):
    """Postgres away: the person's key cannot be made, so nothing can be sealed."""

    async def seal_command(self, command: CommandEnvelope) -> CommandEnvelope:
        await asyncio.sleep(0.01)  # the outcome key is written meanwhile
        raise StoreUnavailable("postgres", ConnectionRefusedError())


async def test_a_command_that_cannot_be_sealed_is_never_left_accepted() -> None:
    fakes: Any = SealerAway()
    with pytest.raises(StoreUnavailable):
        await _creating(fakes, wait=True)()
    assert fakes.published == []
    # Written as accepted while it was being sealed, then told refused: GET /commands/{id}
    # never says a command that was not sent may still be applied.
    assert [o.status for o in fakes.outcomes] == ["accepted", "rejected"]
    assert fakes.outcomes[-1].error is not None
    assert fakes.outcomes[-1].error["code"] == Unavailable.code


async def test_writes_waiting_for_the_worker_leave_room_for_more_to_be_sent() -> None:
    """Past `send_limit` writes not yet sent, the next is refused; once a write's command
    is sent it counts only against the larger `limit`."""
    sent_now: dict[int, asyncio.Event] = {}
    release = asyncio.Event()
    entered: list[int] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        n = len(entered)
        entered.append(n)
        sent_now[n] = asyncio.Event()
        await sent_now[n].wait()
        command_sent()
        command_sent()  # given back once, however often it is said
        await release.wait()

    admission = WriteAdmission(app, limit=3, send_limit=1)
    first = asyncio.create_task(admission(_http("POST"), _body(b"{}"), _ignore))
    await _until(lambda: admission.sending == 1)
    refused: list[Message] = []
    await asyncio.wait_for(admission(_http("POST"), _body(b"{}"), _into(refused)), 1)
    assert refused[0]["status"] == 503
    sent_now[0].set()
    await _until(lambda: admission.sending == 0)
    second = asyncio.create_task(admission(_http("POST"), _body(b"{}"), _ignore))
    await _until(lambda: len(entered) == 2)
    sent_now[1].set()
    await _until(lambda: admission.sending == 0)
    third = asyncio.create_task(admission(_http("POST"), _body(b"{}"), _ignore))
    await _until(lambda: len(entered) == 3)
    sent_now[2].set()
    await _until(lambda: admission.sending == 0)
    # Three held in all, none being sent: the overall limit refuses the fourth.
    over: list[Message] = []
    await asyncio.wait_for(admission(_http("POST"), _body(b"{}"), _into(over)), 1)
    assert over[0]["status"] == 503
    release.set()
    await asyncio.gather(first, second, third)
    assert (admission.in_progress, admission.sending) == (0, 0)


async def test_a_write_that_fails_before_it_is_sent_gives_its_place_back() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("validation blew up")

    admission = WriteAdmission(app, limit=2, send_limit=1)
    with pytest.raises(RuntimeError):
        await admission(_http("POST"), _body(b"{}"), _ignore)
    assert (admission.in_progress, admission.sending) == (0, 0)


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not reached")


def _into(messages: list[Message]) -> Send:
    async def send(message: Message) -> None:
        messages.append(message)

    return send
