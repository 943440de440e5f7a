"""A body over the limit is answered 413 problem+json that ordinary clients read.

The gateway reads (and drops) the rest of a refused body before answering: answering
first and closing made the kernel reset the connection under clients still sending, and
urllib and requests reported the reset instead of the 413.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import httpx
import pytest
import requests

from tests.e2e.conftest import System

pytestmark = pytest.mark.stack

PROBLEM = "application/problem+json"
PATH = "/api/v1/candidates"


def _too_large(system: System) -> bytes:
    # Twice the limit, in a JSON body a route would otherwise read.
    filler = "a" * (2 * system.settings.max_request_bytes)
    return json.dumps({"first_name": "Ada", "last_name": "Lovelace", "headline": filler}).encode()


def _assert_problem(status: int, content_type: str, body: bytes) -> None:
    assert status == 413, body[:200]
    assert content_type.startswith(PROBLEM)
    problem = json.loads(body)
    assert problem["status"] == 413
    assert problem["type"].endswith("/too_large")
    assert "limit" in problem["detail"]


def test_urllib_reads_the_413(system: System) -> None:
    request = urllib.request.Request(
        system.base_url + PATH,
        data=_too_large(system),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    error = refused.value
    _assert_problem(error.code, error.headers["Content-Type"], error.read())


def test_requests_reads_the_413(system: System) -> None:
    answer = requests.post(
        system.base_url + PATH,
        data=_too_large(system),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    _assert_problem(answer.status_code, answer.headers["Content-Type"], answer.content)


def test_httpx_reads_the_413_with_a_length_or_chunked(system: System) -> None:
    body = _too_large(system)
    with httpx.Client(base_url=system.base_url, timeout=30) as client:
        declared = client.post(PATH, content=body, headers={"Content-Type": "application/json"})
        _assert_problem(declared.status_code, declared.headers["Content-Type"], declared.content)

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            for start in range(0, len(body), 65_536):
                yield body[start : start + 65_536]

        streamed = client.post(PATH, content=chunks(), headers={"Content-Type": "application/json"})
        _assert_problem(streamed.status_code, streamed.headers["Content-Type"], streamed.content)
