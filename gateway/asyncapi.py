"""The event catalogue as an AsyncAPI 3.0 document, built from `topics/` at start-up."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from core.settings import Settings
from topics.catalog import CATALOG, COMMAND_PERMISSIONS
from topics.envelopes import CommandEnvelope, EventEnvelope
from topics.integrations import COMMAND_REJECTED, CommandRejected
from topics.names import COMMAND_TOPICS


def _schema(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _integration_channels(
    namespace: str,
    messages: dict[str, Any],
    channels: dict[str, Any],
    operations: dict[str, Any],
    schemas: dict[str, Any],
    event_envelope: dict[str, Any],
) -> None:
    """An integration's two topics (docs/integrations.md): the one it writes, with the
    commands it may send, and its agency's, with the events and its refusals."""
    messages["command_rejected"] = {
        "name": COMMAND_REJECTED,
        "summary": "A command an integration sent was refused (by the gate or a rule).",
        "contentType": "application/json",
        "payload": {
            "allOf": [
                event_envelope,
                {
                    "type": "object",
                    "properties": {
                        "type": {"const": COMMAND_REJECTED},
                        "data": _schema(CommandRejected, schemas),
                    },
                },
            ]
        },
    }
    commands = {
        m.replace(".", "_"): {"$ref": f"#/components/messages/{m.replace('.', '_')}"}
        for m in sorted(COMMAND_PERMISSIONS)
    }
    events = {
        message.name.replace(".", "_"): {
            "$ref": f"#/components/messages/{message.name.replace('.', '_')}"
        }
        for spec, types in CATALOG.items()
        if spec not in COMMAND_TOPICS
        for message in types
    }
    events["command_rejected"] = {"$ref": "#/components/messages/command_rejected"}
    channels["integration_commands"] = {
        "address": f"{namespace}.integrations.{{integration_id}}.commands",
        "description": "An integration's own command topic: only it may write it; what it "
        "writes is applied as its agency and role, whatever a message claims.",
        "parameters": {"integration_id": {"description": "From `integrations create`"}},
        "messages": commands,
    }
    channels["agency_events"] = {
        "address": f"{namespace}.agencies.{{tenant_id}}.events",
        "description": "An agency's events, and its integrations' refusals: readable by "
        "that agency's integrations alone.",
        "parameters": {"tenant_id": {"description": "The integration's agency"}},
        "messages": events,
    }
    operations["send_integration_commands"] = {
        "action": "send",
        "channel": {"$ref": "#/channels/integration_commands"},
    }
    operations["receive_agency_events"] = {
        "action": "receive",
        "channel": {"$ref": "#/channels/agency_events"},
    }


def asyncapi_document(settings: Settings) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    namespace = settings.topic_namespace
    command_envelope = _schema(CommandEnvelope, schemas)
    event_envelope = _schema(EventEnvelope, schemas)
    for spec, types in CATALOG.items():
        channel_id = spec.name(namespace).replace(".", "_")
        is_commands = spec in COMMAND_TOPICS
        channel_messages = {}
        for message in types:
            message_id = message.name.replace(".", "_")
            messages[message_id] = {
                "name": message.name,
                "summary": message.summary,
                **(
                    {"x-permission": COMMAND_PERMISSIONS[message.name]}
                    if message.name in COMMAND_PERMISSIONS
                    else {}
                ),
                "contentType": "application/json",
                "headers": {
                    "type": "object",
                    "properties": {
                        "command_type" if is_commands else "event_type": {"const": message.name}
                    },
                },
                "payload": {
                    "allOf": [
                        command_envelope if is_commands else event_envelope,
                        {
                            "type": "object",
                            "properties": {
                                "type": {"const": message.name},
                                "payload" if is_commands else "data": _schema(
                                    message.payload, schemas
                                ),
                            },
                        },
                    ]
                },
            }
            channel_messages[message_id] = {"$ref": f"#/components/messages/{message_id}"}
        channels[channel_id] = {
            "address": spec.name(namespace),
            "description": spec.description
            + (
                f" Unparseable messages go to `{spec.dlq(namespace)}` with a `reason` header."
                if is_commands
                else ""
            ),
            "messages": channel_messages,
        }
        operations[f"{'send' if is_commands else 'receive'}_{channel_id}"] = {
            "action": "send" if is_commands else "receive",
            "channel": {"$ref": f"#/channels/{channel_id}"},
        }
    _integration_channels(namespace, messages, channels, operations, schemas, event_envelope)
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "RefactorTrack event catalogue",
            "version": "1.0.0",
            "description": (
                "Commands integrations may publish and the events RefactorTrack emits. "
                "Commands are keyed by aggregate id; outcomes are readable at "
                "`GET /api/v1/commands/{command_id}`."
            ),
        },
        "servers": {
            "kafka": {
                "host": settings.kafka_bootstrap_servers,
                # AsyncAPI's name for Kafka over TLS.
                "protocol": "kafka-secure"
                if settings.kafka_security_protocol == "SASL_SSL"
                else "kafka",
                "security": [{"$ref": "#/components/securitySchemes/sasl"}],
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": schemas,
            "securitySchemes": {
                "sasl": {
                    # scramSha512 or scramSha256, as the broker is configured.
                    "type": "scramSha" + settings.kafka_sasl_mechanism.rsplit("-", 1)[1],
                    "description": (
                        f"Every client logs in with SASL {settings.kafka_sasl_mechanism} "
                        "as a user of its own, whose ACLs allow only the topics that user "
                        "needs; there is no anonymous access."
                    ),
                }
            },
        },
    }
