"""`.env.example` names every setting the code reads, and nothing it does not."""

from __future__ import annotations

import re
from pathlib import Path

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
# Read by deploy/local/stack.sh (and the app's secrets.env lookup), not by Settings.
STACK_ONLY = {
    "RT_STATE_DIR",
    "RT_CACHE_DIR",
    "KAFKA_PORT",
    "KAFKA_CONTROLLER_PORT",
    "KAFKA_CONTROLLER_PASSWORD",
    "OPENSEARCH_PORT",
    "MONGO_PORT",
}


def _named() -> set[str]:
    # `NAME=value` set, or `# NAME=value` shown with its default or an example.
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))


def _settings() -> set[str]:
    return {(field.alias or name).upper() for name, field in Settings.model_fields.items()}


def test_every_setting_is_named() -> None:
    assert sorted(_settings() - _named()) == []


def test_nothing_unknown_is_named() -> None:
    assert sorted(_named() - _settings() - STACK_ONLY) == []
