"""A hostile client through HTTP: clear 4xx problems, limits with their headers, safe headers.

Most tests use the suite's gateway. The limits are tried on a second gateway process
(`strict`) started with low limits, a CORS allow-list, metrics on their own port behind
a token, and a document store it cannot reach (so /ready has something to report);
each test makes its own agency, so the counts of one never reach another.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.jobs.accounts import create_user
from core.settings import Settings
from gateway.auth import Principal, issue_token
from tests.e2e.conftest import LOG_DIR, PASSWORD, ROOT, Agency, System, login
from tests.harness.processes import free_port, spawn, stop, wait_for

pytestmark = pytest.mark.stack

PROBLEM = "application/problem+json"
ALLOWED_ORIGIN = "https://app.example"
METRICS_TOKEN = "scrape-me-" + uuid.uuid4().hex
USER_LIMIT, AGENCY_LIMIT = 12, 20
USER_STREAMS, AGENCY_STREAMS = 2, 3


def assert_problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    assert body["detail"]
    return body


def cursor(values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


# -- hostile queries, filters and cursors (the suite's gateway) -------------------------


@pytest.mark.parametrize(
    "q",
    [
        "-" * 500 + "python",
        "NOT " * 200 + "x",
        "NOT " * 300 + "x",  # past the length limit too
        "(" * 300 + "python" + ")" * 300,
        "-(" * 150 + "x" + ")" * 150,
        " ".join(f"w{i}" for i in range(150)),
    ],
)
async def test_hostile_queries_are_400_on_every_search(agency: Agency, q: str) -> None:
    for path in ("/api/v1/search/candidates", "/api/v1/search/requisitions"):
        problem = assert_problem(await agency.client.get(path, params={"q": q}), 400)
        assert problem["type"].endswith("/bad_query")
        assert 1 <= problem["position"] <= len(q)
    saved = await agency.client.post("/api/v1/saved-searches", json={"name": "evil", "q": q})
    if len(q) <= 1000:
        assert assert_problem(saved, 400)["type"].endswith("/bad_query")
    else:
        assert_problem(saved, 422)  # a body field past its length, as any other


async def test_a_query_past_the_index_clause_limit_is_400_not_500(agency: Agency) -> None:
    # One word the analyser splits into ~330 tokens, searched in 8 fields: more than the
    # node's 1024 clauses. OpenSearch reports that as a 500; the adapter edge as ours.
    letters = "bcdfghjklmnpqrstvwxz"
    word = "-".join(a + b for a in letters for b in letters)[:999]
    problem = assert_problem(
        await agency.client.get("/api/v1/search/candidates", params={"q": word}), 400
    )
    assert "1024" in problem["detail"]


@pytest.mark.parametrize(
    "bad",
    [
        "not base64 at all!",
        cursor({"a": 1}),
        cursor([]),
        cursor(["x"]),
        cursor([1.0, 1700000000000, "not-a-uuid"]),
        cursor([True, 1700000000000, str(uuid.uuid4())]),
        cursor([1.0, [1], str(uuid.uuid4())]),
        cursor([1.0, 2**63, str(uuid.uuid4())]),
        cursor([1.0, 1700000000000, str(uuid.uuid4()), "extra"]),
    ],
)
async def test_a_forged_cursor_is_400_on_every_list(agency: Agency, bad: str) -> None:
    for path in (
        "/api/v1/search/candidates",
        "/api/v1/search/requisitions",
        "/api/v1/candidates",
        "/api/v1/clients",
        "/api/v1/requisitions",
    ):
        problem = assert_problem(await agency.client.get(path, params={"cursor": bad}), 400)
        assert problem["type"].endswith("/bad_cursor"), (path, problem)


async def test_a_cursor_fits_only_the_order_it_came_from(agency: Agency) -> None:
    relevance = cursor([1.5, 1700000000000, str(uuid.uuid4())])
    fine = await agency.client.get("/api/v1/search/candidates", params={"cursor": relevance})
    assert fine.status_code == 200, fine.text
    recent = {"cursor": relevance, "sort": "recent"}
    assert_problem(await agency.client.get("/api/v1/search/candidates", params=recent), 400)
    for page in (
        ["2026-11-26T10:00:00", str(uuid.uuid4())],  # no time zone
        ["0001-01-01T00:00:00+01:00", str(uuid.uuid4())],  # before year 1 in UTC
    ):
        r = await agency.client.get("/api/v1/candidates", params={"cursor": cursor(page)})
        assert_problem(r, 400)


async def test_list_filters_past_their_cap_say_the_limit(agency: Agency) -> None:
    many = ",".join(f"skill{i}" for i in range(21))
    for path, name in (
        ("/api/v1/search/candidates", "skills"),
        ("/api/v1/search/candidates", "skills_any"),
        ("/api/v1/search/candidates", "tags"),
        ("/api/v1/search/requisitions", "skills"),
        ("/api/v1/search/requisitions", "priority"),
    ):
        problem = assert_problem(await agency.client.get(path, params={name: many}), 400)
        assert "at most 20" in problem["detail"]
        assert problem["field"] == name
    repeated = [("status", "active")] * 21
    r = await agency.client.get("/api/v1/search/candidates", params=repeated)
    assert "at most 20" in assert_problem(r, 400)["detail"]
    long = {"tags": "x" * 101}
    r = await agency.client.get("/api/v1/search/candidates", params=long)
    assert "longer than 100" in assert_problem(r, 400)["detail"]


async def test_a_request_too_long_to_parse_is_a_problem_too(system: System, agency: Agency) -> None:
    # Past the HTTP parser's 80 KiB for the request line and headers, the request never
    # reaches the app: the server itself answers, and in the API's shape. (A client
    # library refuses to send such a URL, so it goes over a socket of its own.)
    url = httpx.URL(system.base_url)
    reader, writer = await asyncio.open_connection(url.host, url.port)
    target = "/api/v1/candidates?ids=" + "x" * 90_000
    writer.write(f"GET {target} HTTP/1.1\r\nHost: {url.host}\r\n\r\n".encode())
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    assert lines[0] == "HTTP/1.1 400 Bad Request"
    assert headers["content-type"] == PROBLEM
    assert headers["x-content-type-options"] == "nosniff"
    problem = json.loads(body)
    assert problem["status"] == 400
    assert problem["type"].endswith("/unreadable_request")
    assert "80 KiB" in problem["detail"]
    # The suite's gateway still answers the next request.
    assert (await agency.client.get("/api/v1/candidates")).status_code == 200


# -- headers, readiness (the suite's gateway) -------------------------------------------


async def test_security_headers_on_every_answer(system: System, agency: Agency) -> None:
    async with httpx.AsyncClient(base_url=system.base_url) as anon:
        answers = [
            await anon.get("/health"),
            await anon.get("/dashboard"),
            await anon.get("/api/v1/me"),  # 401
            await anon.get("/nowhere"),  # 404
            await agency.client.get("/api/v1/candidates"),
            await agency.client.get("/api/v1/search/candidates", params={"q": "(x"}),  # 400
        ]
        for r in answers:
            assert r.headers["x-content-type-options"] == "nosniff", r.url
            assert r.headers["referrer-policy"] == "no-referrer"
            assert r.headers["x-frame-options"] == "DENY"
            assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
            assert "strict-transport-security" not in r.headers  # plain http
        page = answers[1].headers["content-security-policy"]
        assert "script-src 'self'" in page
        assert "unsafe-inline" not in page
        assert answers[0].headers["content-security-policy"].startswith("default-src 'none'")
        # Through a TLS proxy on a trusted address (this one): HSTS.
        proxied = await anon.get("/health", headers={"X-Forwarded-Proto": "https"})
        assert proxied.headers["strict-transport-security"].startswith("max-age=")


async def test_authenticated_answers_say_where_the_caller_stands(agency: Agency) -> None:
    first = await agency.client.get("/api/v1/me")
    search = await agency.client.get("/api/v1/search/candidates")
    for r in (first, search):
        assert int(r.headers["ratelimit-limit"]) > 0
        assert int(r.headers["ratelimit-reset"]) >= 0
        assert r.headers["ratelimit-policy"]
    # A search costs more than a read.
    spent = int(first.headers["ratelimit-remaining"]) - int(search.headers["ratelimit-remaining"])
    assert spent == 5


async def test_ready_says_up_for_each_dependency_and_nothing_more(system: System) -> None:
    async with httpx.AsyncClient(base_url=system.base_url) as anon:
        ready = (await anon.get("/ready")).json()
    assert ready == {
        "status": "ready",
        "checks": dict.fromkeys(("postgres", "mongodb", "opensearch", "redis", "kafka"), "up"),
    }


# -- a gateway with low limits ------------------------------------------------------------


@dataclass(frozen=True)
class Strict:
    base_url: str
    metrics_url: str
    settings: Settings
    log: Path


@pytest.fixture(scope="module")
def strict(system: System) -> Iterator[Strict]:
    port, metrics_port, nowhere = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "RATE_LIMIT_PER_MINUTE": str(USER_LIMIT),
        "AGENCY_RATE_LIMIT_PER_MINUTE": str(AGENCY_LIMIT),
        "SSE_STREAMS_PER_USER": str(USER_STREAMS),
        "SSE_STREAMS_PER_AGENCY": str(AGENCY_STREAMS),
        "CORS_ORIGINS": json.dumps([ALLOWED_ORIGIN]),
        "METRICS_PORT": str(metrics_port),
        "METRICS_TOKEN": METRICS_TOKEN,
        # A document store that is not there: /ready has something to report.
        "MONGODB_URL": f"mongodb://127.0.0.1:{nowhere}/?serverSelectionTimeoutMS=300",
    }
    log = LOG_DIR / "strict-gateway.log"
    gateway = spawn(["gateway", "--port", str(port)], env, log, ROOT)
    base_url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(f"{base_url}/health", timeout=3).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(up, "the strict gateway", log, 90)
        yield Strict(base_url, f"http://127.0.0.1:{metrics_port}", system.settings, log)
    finally:
        stop(gateway)


async def _user(strict: Strict, slug: str | None = None) -> tuple[str, str]:
    """A user (of a new agency, or of `slug`) logged in on the strict gateway."""
    slug = slug or f"t-{uuid.uuid4().hex[:12]}"
    username = f"u-{uuid.uuid4().hex[:12]}"
    await create_user(
        strict.settings, tenant=slug, username=username, password=PASSWORD, role="recruiter"
    )
    return slug, await login(strict.base_url, username)


def _client(strict: Strict, token: str) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.AsyncClient(base_url=strict.base_url, headers=headers, timeout=30)


async def test_past_the_callers_limit_429_with_retry_after(strict: Strict) -> None:
    _, token = await _user(strict)
    async with _client(strict, token) as client:
        me = await client.get("/api/v1/me")
        assert me.headers["ratelimit-limit"] == str(USER_LIMIT)
        assert me.headers["ratelimit-remaining"] == str(USER_LIMIT - 1)
        assert me.headers["ratelimit-policy"] == f"{USER_LIMIT};w=60, {AGENCY_LIMIT};w=60"
        search = await client.get("/api/v1/search/candidates")
        assert search.headers["ratelimit-remaining"] == str(USER_LIMIT - 6)
        search = await client.get("/api/v1/search/candidates")
        assert search.headers["ratelimit-remaining"] == str(USER_LIMIT - 11)
        refused = await client.get("/api/v1/search/candidates")
        problem = assert_problem(refused, 429)
        assert "costs 5" in problem["detail"]
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.headers["ratelimit-remaining"] == "1"
        assert int(refused.headers["ratelimit-reset"]) >= 1
        # The last unit still buys a read.
        assert (await client.get("/api/v1/me")).status_code == 200
        assert_problem(await client.get("/api/v1/me"), 429)


async def test_past_the_agencys_limit_429_for_everyone_in_it(strict: Strict) -> None:
    slug, first = await _user(strict)
    _, second = await _user(strict, slug)
    async with _client(strict, first) as one, _client(strict, second) as two:
        for _ in range(2):
            assert (await one.get("/api/v1/search/candidates")).status_code == 200
        for _ in range(AGENCY_LIMIT - 10):
            assert (await two.get("/api/v1/me")).status_code == 200
        # `two` has used 10 of its own 12, but the agency all of its 20.
        refused = await two.get("/api/v1/me")
        problem = assert_problem(refused, 429)
        assert "your agency" in problem["detail"]
        assert refused.headers["ratelimit-limit"] == str(AGENCY_LIMIT)
        assert "retry-after" in refused.headers
    # Another agency is untouched.
    _, other = await _user(strict)
    async with _client(strict, other) as three:
        assert (await three.get("/api/v1/me")).status_code == 200


@dataclass
class OpenStream:
    """A stream read up to its first event. Its line iterator is kept: dropped, it would
    be collected and would close the response, and with it the stream."""

    context: Any
    response: httpx.Response
    lines: Any = None

    async def close(self) -> None:
        await self.context.__aexit__(None, None, None)


async def _open_stream(client: httpx.AsyncClient) -> OpenStream:
    context = client.stream("GET", "/api/v1/analytics/stream")
    opened = OpenStream(context, await context.__aenter__())
    if opened.response.status_code == 200:
        opened.lines = opened.response.aiter_lines()
        while not (await anext(opened.lines)).startswith("event: snapshot"):
            pass
    return opened


async def _refused(client: httpx.AsyncClient) -> httpx.Response:
    refused = await _open_stream(client)
    await refused.response.aread()
    await refused.close()
    return refused.response


async def test_live_streams_are_capped_per_user_and_per_agency(strict: Strict) -> None:
    slug, first = await _user(strict)
    _, second = await _user(strict, slug)
    opened: list[OpenStream] = []
    try:
        async with _client(strict, first) as one, _client(strict, second) as two:
            for _ in range(USER_STREAMS):
                opened.append(await _open_stream(one))
                assert opened[-1].response.status_code == 200
            problem = assert_problem(await _refused(one), 429)
            assert "SSE_STREAMS_PER_USER" in problem["detail"]

            opened.append(await _open_stream(two))  # the agency's third
            assert opened[-1].response.status_code == 200
            refused = await _refused(two)
            assert "SSE_STREAMS_PER_AGENCY" in assert_problem(refused, 429)["detail"]
            assert refused.headers["retry-after"]

            # Closing a stream gives its slot back (once the gateway sees it go; each
            # try costs a unit of the caller's budget, so only a few).
            await opened.pop(0).close()
            for _ in range(6):
                await asyncio.sleep(0.3)
                again = await _open_stream(one)
                if again.response.status_code == 200:
                    opened.append(again)
                    break
                await again.response.aread()
                await again.close()
                assert "SSE_STREAMS_PER_" in assert_problem(again.response, 429)["detail"]
            else:
                raise AssertionError("a closed stream's slot did not come back")
    finally:
        for stream in opened:
            await stream.close()


async def test_a_stream_ends_when_its_token_expires(system: System) -> None:
    slug = f"t-{uuid.uuid4().hex[:12]}"
    tenant_id, user_id = await create_user(
        system.settings, tenant=slug, username=f"u-{slug}", password=PASSWORD, role="recruiter"
    )
    short = system.settings.model_copy(update={"jwt_expiry_seconds": 3})
    token = issue_token(
        short, Principal(user_id, tenant_id, "recruiter", f"u-{slug}"), "access"
    ).text
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(base_url=system.base_url, headers=headers, timeout=30) as client,
        client.stream("GET", "/api/v1/analytics/stream") as response,
    ):
        assert response.status_code == 200

        async def events() -> list[str]:
            return [line async for line in response.aiter_lines() if line.startswith("event:")]

        seen = await asyncio.wait_for(events(), timeout=15)  # the stream ends by itself
    assert seen[0] == "event: snapshot"
    assert seen[-1] == "event: expired"
    async with httpx.AsyncClient(base_url=system.base_url, headers=headers) as client:
        assert (await client.get("/api/v1/analytics/stream")).status_code == 401


async def test_cors_preflight_for_an_allowed_and_a_refused_origin(strict: Strict) -> None:
    asked = {
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }
    async with httpx.AsyncClient(base_url=strict.base_url) as anon:
        allowed = await anon.options(
            "/api/v1/candidates", headers={"Origin": ALLOWED_ORIGIN, **asked}
        )
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
        assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
        refused = await anon.options(
            "/api/v1/candidates", headers={"Origin": "https://evil.example", **asked}
        )
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
        assert refused.headers["x-content-type-options"] == "nosniff"
        # A simple request from a refused origin gets no CORS grant either.
        plain = await anon.get("/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in plain.headers
    _, token = await _user(strict)
    async with _client(strict, token) as client:
        r = await client.get("/api/v1/me", headers={"Origin": ALLOWED_ORIGIN})
        exposed = r.headers["access-control-expose-headers"].lower()
        assert "ratelimit-remaining" in exposed
        assert "retry-after" in exposed


async def test_ready_names_what_is_down_without_saying_why(strict: Strict) -> None:
    async with httpx.AsyncClient(base_url=strict.base_url) as anon:
        r = await anon.get("/ready")
    assert r.status_code == 503
    assert r.json() == {
        "status": "not_ready",
        "checks": {
            "postgres": "up",
            "mongodb": "down",
            "opensearch": "up",
            "redis": "up",
            "kafka": "up",
        },
    }
    logged = await asyncio.to_thread(strict.log.read_text, errors="replace")
    assert "readiness: mongodb is down" in logged  # the reason goes to the log


async def test_metrics_on_their_own_port_behind_a_token(strict: Strict) -> None:
    async with httpx.AsyncClient() as anon:
        assert (await anon.get(f"{strict.base_url}/metrics")).status_code == 404
        assert (await anon.get(f"{strict.metrics_url}/metrics")).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert (await anon.get(f"{strict.metrics_url}/metrics", headers=wrong)).status_code == 401
        right = {"Authorization": f"Bearer {METRICS_TOKEN}"}
        scraped = await anon.get(f"{strict.metrics_url}/metrics", headers=right)
    assert scraped.status_code == 200
    assert "rt_http_requests_total" in scraped.text
