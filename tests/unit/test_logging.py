"""Drivers' INFO lines stay out of the logs unless a process runs at DEBUG."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from core.logging import (
    CHATTY_LIBRARIES,
    COMMAND_ID,
    REQUEST_ID,
    JsonLines,
    MaskPersonalData,
    quiet_libraries,
)
from gateway.request_context import RequestContext


@pytest.fixture
def levels() -> Iterator[None]:
    root = logging.getLogger()
    saved = root.level, {n: logging.getLogger(n).level for n in CHATTY_LIBRARIES}
    yield
    root.setLevel(saved[0])
    for name, level in saved[1].items():
        logging.getLogger(name).setLevel(level)


def test_driver_info_is_off_at_info(levels: None) -> None:
    logging.getLogger().setLevel(logging.INFO)
    quiet_libraries()
    assert not logging.getLogger("opensearch").isEnabledFor(logging.INFO)
    assert logging.getLogger("opensearch").isEnabledFor(logging.WARNING)
    # The system's own lines are untouched.
    assert logging.getLogger("agents.processor").isEnabledFor(logging.INFO)


def test_debug_shows_everything(levels: None) -> None:
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.NOTSET)
    logging.getLogger().setLevel(logging.DEBUG)
    quiet_libraries()
    assert logging.getLogger("opensearch").isEnabledFor(logging.DEBUG)


def _json_line(logger: logging.Logger, emit: Callable[[], None]) -> dict[str, Any]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    handler.addFilter(MaskPersonalData())
    logger.addHandler(handler)
    try:
        emit()
    finally:
        logger.removeHandler(handler)
    return dict(json.loads(stream.getvalue().strip().splitlines()[-1]))


def test_a_json_line_carries_the_ids_of_its_work_and_no_address() -> None:
    logger = logging.getLogger("tests.json")
    logger.setLevel(logging.INFO)
    token = COMMAND_ID.set("c-1")
    try:
        line = _json_line(logger, lambda: logger.info("applied for %s", "ada@example.com"))
    finally:
        COMMAND_ID.reset(token)
    assert line["level"] == "INFO"
    assert line["logger"] == "tests.json"
    assert line["message"] == "applied for <email>"
    assert line["command_id"] == "c-1"
    assert "request_id" not in line  # unset ids are left out, not null


async def test_a_request_gets_an_id_on_its_answer_and_its_log_lines() -> None:
    logger = logging.getLogger("tests.request")
    logger.setLevel(logging.INFO)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    logger.addHandler(handler)

    async def serve(_: Request) -> PlainTextResponse:
        logger.info("serving")
        return PlainTextResponse(REQUEST_ID.get() or "")

    app = RequestContext(Starlette(routes=[Route("/", serve)]))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            kept = await client.get("/", headers={"X-Request-ID": "edge-42"})
            replaced = await client.get("/", headers={"X-Request-ID": "evil line"})
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert kept.headers["x-request-id"] == "edge-42" == kept.text == lines[0]["request_id"]
    # An id that could forge or bloat a log line is replaced by one of ours.
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["x-request-id"])
    assert lines[1]["request_id"] == replaced.text
    assert REQUEST_ID.get() is None
