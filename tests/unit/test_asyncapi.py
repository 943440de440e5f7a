"""The AsyncAPI catalogue is valid AsyncAPI 3.0 and names every message the agents take."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from agents.candidates.handlers import HANDLERS as CANDIDATE_HANDLERS
from agents.clients.handlers import HANDLERS as CLIENT_HANDLERS
from agents.documents.reader import TAKES as DOCUMENT_TYPES
from agents.notes.handlers import HANDLERS as NOTE_HANDLERS
from agents.pipeline.handlers import HANDLERS as PIPELINE_HANDLERS
from agents.requisitions.handlers import HANDLERS as REQUISITION_HANDLERS
from core.settings import Settings
from gateway.asyncapi import asyncapi_document
from topics.catalog import CATALOG
from topics.names import (
    CANDIDATE_COMMANDS,
    CLIENT_COMMANDS,
    DOCUMENT_COMMANDS,
    NOTE_COMMANDS,
    PIPELINE_COMMANDS,
    REQUISITION_COMMANDS,
)

SCHEMA = Path(__file__).parents[1] / "fixtures" / "asyncapi-3.0.0.json"


def _document() -> dict[str, object]:
    return asyncapi_document(Settings.model_validate({"TOPIC_NAMESPACE": "rt"}))


def test_the_catalogue_is_valid_asyncapi_3() -> None:
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(_document()), key=lambda e: list(e.path))
    assert not errors, errors[0].message


def test_every_command_an_agent_takes_is_in_the_catalogue() -> None:
    for topic, handlers in (
        (CANDIDATE_COMMANDS, CANDIDATE_HANDLERS),
        (CLIENT_COMMANDS, CLIENT_HANDLERS),
        (REQUISITION_COMMANDS, REQUISITION_HANDLERS),
        (PIPELINE_COMMANDS, PIPELINE_HANDLERS),
        (NOTE_COMMANDS, NOTE_HANDLERS),
        (DOCUMENT_COMMANDS, DOCUMENT_TYPES),
    ):
        assert {m.name for m in CATALOG[topic]} == set(handlers)


def test_channels_are_the_contract_topic_names() -> None:
    channels = _document()["channels"]
    assert isinstance(channels, dict)
    addresses = {c["address"] for c in channels.values()}
    assert {"rt.candidates.commands", "rt.candidates.events", "rt.clients.commands"} <= addresses
