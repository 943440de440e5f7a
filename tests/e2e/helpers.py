from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from core.settings import Settings
from tests.support import admin_options

if TYPE_CHECKING:
    from app.jobs.integrations import IntegrationCredentials
    from tests.e2e.conftest import Agency
    from topics.envelopes import CommandEnvelope

T = TypeVar("T")

PLACEMENT = {"start_date": "2027-01-04", "bill_rate": "100", "pay_rate": "75", "currency": "EUR"}


async def post_json(agency: Agency, path: str, body: dict[str, Any], status: int = 201) -> Any:
    response = await agency.client.post(path, json=body)
    assert response.status_code == status, response.text
    return response.json()


def move_body(to: str) -> dict[str, Any]:
    if to == "placed":
        return {"to": to, **PLACEMENT}
    if to == "rejected":
        return {"to": to, "reason": "not a fit", "rejected_by": "agency"}
    return {"to": to}


async def move(agency: Agency, submission_id: str, to: str) -> Any:
    """Move a submission to `to` (with what that stage needs); it must be legal."""
    path = f"/api/v1/submissions/{submission_id}/transitions"
    return await post_json(agency, path, move_body(to), 200)


async def open_requisition(agency: Agency, openings: int) -> dict[str, Any]:
    client = await post_json(agency, "/api/v1/clients", {"name": "Globex", "status": "active"})
    return await post_json(
        agency,
        "/api/v1/requisitions",
        {
            "client_id": client["id"],
            "title": "Platform Engineer",
            "openings": openings,
            "employment_type": "contract",
        },
    )


def candidate_body(**overrides: Any) -> dict[str, Any]:
    unique = uuid.uuid4().hex[:10]
    body: dict[str, Any] = {
        "first_name": "Ada",
        "last_name": f"Lovelace{unique}",
        "emails": [f"Ada.{unique}@Example.com"],
        "phones": [],
        "headline": "Staff Python Engineer",
        "location": {"city": "Berlin", "country": "DE", "remote": True},
        "skills": [{"name": "Python", "years": 9, "level": "expert"}, {"name": "Kafka"}],
        "source": "referral",
        "tags": ["backend"],
    }
    body.update(overrides)
    return body


async def eventually(
    probe: Callable[[], Awaitable[T | None]],
    *,
    timeout: float = 15.0,
    what: str = "condition",
    interval: float = 0.1,
) -> T:
    """Poll until `probe` returns something truthy (the system is eventually consistent)."""
    deadline = time.monotonic() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout}s")
        await asyncio.sleep(interval)


async def tail_topic(settings: Settings, topic: str) -> AIOKafkaConsumer:
    """A consumer positioned at the current end of every partition of `topic`.

    Logged in as the admin: it reads what no service principal may read together.
    """
    consumer = AIOKafkaConsumer(**admin_options(settings))
    await consumer.start()
    # `refactortrack migrate` creates every contract topic with this many partitions.
    partitions = [TopicPartition(topic, p) for p in range(settings.kafka_partitions)]
    consumer.assign(partitions)
    await consumer.seek_to_end(*partitions)
    for tp in partitions:  # resolve the lazy seek now, before anything is produced
        await consumer.position(tp)
    return consumer


def integration_login(made: IntegrationCredentials) -> dict[str, Any]:
    """Only what the printed credentials say: an integration knows nothing else."""
    return {
        "bootstrap_servers": made.bootstrap_servers,
        "security_protocol": made.security_protocol,
        "sasl_mechanism": made.sasl_mechanism,
        "sasl_plain_username": made.username,
        "sasl_plain_password": made.password,
    }


async def send_as_integration(
    made: IntegrationCredentials, envelope: CommandEnvelope, key: str
) -> None:
    """Publish one command to the integration's own command topic, logged in as it."""
    producer = AIOKafkaProducer(**integration_login(made), acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            made.command_topic, envelope.model_dump_json().encode(), key=key.encode()
        )
    finally:
        await producer.stop()
