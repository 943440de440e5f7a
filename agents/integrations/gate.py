"""The integration gate: what an integration writes is applied as its own agency and
role, whatever the message claims, or refused.

Each integration may write only its own command topic (a Kafka ACL), so the topic a
command arrives on says who sent it. The gate reads every integration's topic, checks
the command against the integration's agency and the one permission matrix
(domain/permissions.py), and forwards it to the domain's command topic with the
integration as its actor. A refused command goes to the refusals DLQ with the reason,
is recorded as rejected (GET /commands/{id} answers the agency), and is announced to the
integration as `command.rejected` on its agency's event topic. Nothing refused is ever
applied.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from agents.integrations.refusals import rejected_message
from agents.integrations.registry import Integration, IntegrationRegistry
from agents.processor import OutgoingMessage, Publisher
from core.errors import validation_summary
from domain.permissions import allowed
from stores.kafka_patterns import Record
from stores.redis import RedisStore
from stores.sealing import Sealer
from topics.catalog import COMMAND_PERMISSIONS, INTERNAL_COMMANDS, command_topic_of
from topics.envelopes import Actor, CommandEnvelope, CommandOutcome
from topics.names import integration_of, integrations_dlq

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Refusal:
    code: str
    message: str

    def as_error(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "status": 403, "title": "Refused"}


def judge(
    integration: Integration, command: CommandEnvelope, namespace: str
) -> tuple[CommandEnvelope, str] | Refusal:
    """The command as the integration may send it, with its topic's name; or why not."""
    if command.tenant_id != integration.tenant_id:
        return Refusal(
            "wrong_agency",
            f"this integration acts for agency {integration.tenant_id}; the command names "
            f"{command.tenant_id}",
        )
    permission = COMMAND_PERMISSIONS.get(command.type)
    spec = command_topic_of(command.type)
    if permission is None or spec is None or command.type in INTERNAL_COMMANDS:
        known = ", ".join(sorted(COMMAND_PERMISSIONS))
        return Refusal("unknown_command", f"'{command.type}' is not a command; send one of {known}")
    if not allowed(integration.role, permission, integration.scopes):
        return Refusal(
            "forbidden",
            f"'{command.type}' needs '{permission}', which this integration "
            f"(role {integration.role}) was not given",
        )
    # Whatever actor the message claims, it is the integration's; its outcome is read from
    # the ledger or the event topic, so no one waits on a wake-up. An address it claims
    # is dropped too: only the gateway sees a client's address.
    trusted = command.model_copy(
        update={
            "actor": Actor(id=str(integration.id), kind="integration"),
            "reply": False,
            "subject_id": None,  # the sealer names the subject, never the sender
            "address": None,
        }
    )
    return trusted, spec.name(namespace)


class IntegrationGate:
    def __init__(
        self,
        registry: IntegrationRegistry,
        publisher: Publisher,
        redis: RedisStore,
        sealer: Sealer,
        *,
        namespace: str,
    ) -> None:
        self._registry = registry
        self._publisher = publisher
        self._redis = redis
        self._sealer = sealer
        self._namespace = namespace

    async def handle(self, records: Sequence[Record]) -> None:
        """Forward or refuse every record, in order; returns once the broker has them all."""
        messages: list[OutgoingMessage] = []
        outcomes: list[CommandOutcome] = []
        for topic, key, value in records:
            forwarded = await self._one(topic, key, value, outcomes)
            messages.extend(forwarded)
        await self._publisher.publish_many(messages)
        if outcomes:
            quiet = {(o.tenant_id, o.command_id) for o in outcomes}
            await self._redis.record_outcomes(outcomes, quiet=quiet)

    async def _one(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        outcomes: list[CommandOutcome],
    ) -> list[OutgoingMessage]:
        found = integration_of(topic, self._namespace)
        integration = await self._registry.active(UUID(found)) if _is_uuid(found) else None
        if integration is None:
            why = "revoked or unknown"
            return [self._dead(topic, key, _unattributed(value), "unknown_integration", why)]
        try:
            command = CommandEnvelope.model_validate_json(value or b"")
        except ValidationError as exc:
            why = f"not a command envelope: {validation_summary(exc)}"
            return [self._dead(topic, key, _unattributed(value), "unparseable", why)]
        verdict = judge(integration, command, self._namespace)
        if isinstance(verdict, Refusal):
            log.info(
                "refused %s from integration %s: %s", command.type, integration.id, verdict.message
            )
            outcomes.append(
                CommandOutcome(
                    command_id=command.command_id,
                    tenant_id=integration.tenant_id,
                    type=command.type,
                    status="rejected",
                    error=verdict.as_error(),
                )
            )
            # Kept for an operator, so kept sealed like every other copy of personal data.
            kept = await self._sealer.seal_command(command.model_copy(update={"subject_id": None}))
            return [
                self._dead(
                    topic, key, kept.model_dump_json().encode(), verdict.code, verdict.message
                ),
                rejected_message(
                    self._namespace,
                    integration.tenant_id,
                    integration.id,
                    command.command_id,
                    command.type,
                    verdict.as_error(),
                ),
            ]
        trusted, target = verdict
        # Integrations send in the clear (they have no keys); what goes on is sealed.
        sealed = await self._sealer.seal_command(trusted)
        return [
            (
                target,
                key or str(command.command_id).encode(),
                sealed.model_dump_json().encode(),
                [("command_type", trusted.type.encode())],
            )
        ]

    def _dead(
        self, topic: str, key: bytes | None, value: bytes | None, code: str, reason: str
    ) -> OutgoingMessage:
        return (
            integrations_dlq(self._namespace),
            _plain_key(key),
            value or b"",
            [
                ("reason", f"{code}: {reason}".encode()[:4000]),
                ("source_topic", topic.encode()),
            ],
        )


def _unattributed(value: bytes | None) -> bytes:
    """What the DLQ keeps of a message no agency or person can be named for: its size and
    digest, not its body. Personal data in it could not be sealed with anyone's key, so
    an erasure could never reach it; the sender still has the message."""
    body = value or b""
    kept = {"dropped": True, "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    return json.dumps(kept).encode()


def _plain_key(key: bytes | None) -> bytes:
    # A record's key is chosen by the sender: kept when it is an id, else only its digest
    # (an integration may key by an e-mail address).
    if not key or _is_uuid(key.decode("utf-8", "replace")):
        return key or b""
    return hashlib.sha256(key).hexdigest().encode()


def _is_uuid(text: str | None) -> bool:
    try:
        UUID(text or "")
    except ValueError:
        return False
    return True
