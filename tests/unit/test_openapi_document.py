"""The OpenAPI document says what the gateway does (built from the app, no servers)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from functools import cache
from typing import Any

import httpx
import jsonschema
import pytest
from fastapi import FastAPI

from app.gateway import create_app
from domain.types import NOT_BLANK_PATTERN
from gateway.problems import PROBLEM_MEDIA_TYPE

PROBLEM_REF = "#/components/schemas/Problem"
# The answers that are not problems: readiness says which store is down, in its own shape.
NOT_PROBLEMS = {("/ready", "get", "503")}


@cache
def _app() -> FastAPI:
    return create_app()


@cache
def document() -> dict[str, Any]:
    return _app().openapi()


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in document()["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def _validate(schema: dict[str, Any], value: Any) -> None:
    """`value` against `schema`, whose `$ref`s point into the document's components."""
    rooted = {**schema, "components": document()["components"]}
    jsonschema.Draft202012Validator(
        rooted, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(value)


def test_every_error_is_problem_json_with_the_problem_schema() -> None:
    for path, method, operation in operations():
        for status, answer in operation["responses"].items():
            if int(status) < 400 or (path, method, status) in NOT_PROBLEMS:
                continue
            content = answer.get("content", {})
            assert list(content) == [PROBLEM_MEDIA_TYPE], (path, method, status)
            assert content[PROBLEM_MEDIA_TYPE]["schema"] == {"$ref": PROBLEM_REF}
            example = content[PROBLEM_MEDIA_TYPE].get("example")
            if example is not None:
                assert example["status"] == int(status)
                _validate({"$ref": PROBLEM_REF}, example)
    schemas = document()["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert {"type", "title", "status", "detail"} <= set(schemas["Problem"]["required"])
    assert "errors" in schemas["Problem"]["properties"]


def test_every_route_documents_the_errors_its_shape_can_answer() -> None:
    for path, method, operation in operations():
        statuses = set(operation["responses"])
        if operation.get("security"):
            assert {"401", "429", "503"} <= statuses, (path, method)
        if operation.get("parameters") or operation.get("requestBody"):
            assert "422" in statuses, (path, method)
        body = operation.get("requestBody", {}).get("content", {})
        if "application/json" in body and operation["operationId"] != "issue":
            # (A login's body is read by hand: a malformed one is a 422 there.)
            assert {"400", "413"} <= statuses, (path, method)
        if any(p["name"] == "cursor" for p in operation.get("parameters", [])):
            assert "400" in statuses, (path, method)
    # The permission every /api/v1 route but the auth ones asks for, and a write's 202.
    create = document()["paths"]["/api/v1/candidates"]["post"]["responses"]
    assert {"201", "202", "403", "409"} <= set(create)
    assert create["202"]["headers"]["Location"]["required"] is True
    assert create["201"]["headers"]["Location"]["required"] is True
    assert "403" not in document()["paths"]["/api/v1/me"]["get"]["responses"]
    upload = document()["paths"]["/api/v1/candidates/{candidate_id}/documents"]["post"]
    assert {"413", "415"} <= set(upload["responses"])
    change = document()["paths"]["/api/v1/candidates/{candidate_id}"]["patch"]["responses"]
    assert {"400", "412"} <= set(change)
    assert "Retry-After" in change["503"]["headers"]


def test_operation_ids_are_the_function_names_and_unique() -> None:
    ids = [operation["operationId"] for _, _, operation in operations()]
    assert len(ids) == len(set(ids))
    assert {"create_candidate", "get_candidate"} <= set(ids)


def test_every_example_fits_its_schema() -> None:
    checked = 0
    for path, method, operation in operations():
        bodies = operation.get("requestBody", {}).get("content", {})
        answers = [a.get("content", {}) for a in operation["responses"].values()]
        for content in [bodies, *answers]:
            for media in content.values():
                schema = media.get("schema")
                if schema is None:
                    continue
                values = [e["value"] for e in media.get("examples", {}).values()]
                values += [media["example"]] if "example" in media else []
                for value in values:
                    try:
                        _validate(schema, value)
                    except jsonschema.ValidationError as exc:
                        pytest.fail(f"{method.upper()} {path}: {exc.message}")
                    checked += 1
    assert checked > 40


def test_creates_link_to_the_routes_that_take_the_new_id() -> None:
    by_id = {op["operationId"]: (path, op) for path, _, op in operations()}
    links = 0
    for path, _, operation in operations():
        for answer in operation["responses"].values():
            for name, link in answer.get("links", {}).items():
                _, target = by_id[link["operationId"]]
                names = {p["name"] for p in target.get("parameters", [])}
                assert set(link["parameters"]) <= names, (path, name)
                links += 1
    create = document()["paths"]["/api/v1/candidates"]["post"]["responses"]["201"]["links"]
    assert {"get_candidate", "update_candidate"} <= set(create)
    assert create["get_candidate"]["parameters"] == {"candidate_id": "$response.body#/id"}
    assert links > 30


def test_the_schemas_carry_the_bounds_the_api_enforces() -> None:
    paths = document()["paths"]
    search = {
        p["name"]: p["schema"] for p in paths["/api/v1/search/candidates"]["get"]["parameters"]
    }
    assert search["q"]["maxLength"] == 1000
    assert search["skills"]["maxItems"] == 20
    assert search["skills"]["items"]["maxLength"] == 100
    assert search["cursor"]["pattern"] == "^[A-Za-z0-9_-]*$"
    assert "anyOf" not in search["cursor"]  # a query string is never null
    assert "do_not_use" in search["status"]["items"]["pattern"]
    schemas = document()["components"]["schemas"]
    first_name = schemas["CandidatePatch"]["properties"]["first_name"]
    assert first_name["type"] == "string"  # may be left out, not cleared
    assert first_name["pattern"] == NOT_BLANK_PATTERN
    headline = schemas["CandidatePatch"]["properties"]["headline"]
    assert {"type": "null"} in headline["anyOf"]  # may be cleared
    rate = schemas["Rate-Input"]["properties"]["amount"]["anyOf"]
    assert {b["type"] for b in rate} == {"string", "integer"}
    transition = schemas["Transition"]
    _validate(transition, {"to": "screened"})
    _validate(
        transition,
        {"to": "placed", "start_date": "2026-05-01", "salary": "90000", "fee_percent": "0.2"},
    )
    for refused in (
        {"to": "placed", "start_date": "2026-05-01"},
        {"to": "rejected", "reason": "not a fit"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            _validate(transition, refused)
    with pytest.raises(jsonschema.ValidationError):
        _validate(schemas["StatusChange"], {"status": "closed"})


async def test_a_405_allows_every_documented_method() -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://rt.example") as client:
        for path, template in (
            (f"/api/v1/candidates/{uuid.uuid4()}", "/api/v1/candidates/{candidate_id}"),
            ("/api/v1/analytics/limits", "/api/v1/analytics/limits"),
        ):
            r = await client.request("TRACE", path)
            assert r.status_code == 405
            assert r.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
            documented = sorted(m.upper() for m in document()["paths"][template])
            assert r.headers["Allow"] == ", ".join(documented)


def _leaked_constraints(node: Any, path: str) -> Iterator[str]:
    # pydantic writes a constraint it could not turn into JSON Schema under its own
    # name (`ge`), which a client's validator ignores: the bound would be unstated.
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("ge", "le", "gt", "lt") and isinstance(value, int | float):
                yield f"{path}/{key}"
            yield from _leaked_constraints(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaked_constraints(value, f"{path}/{i}")


def test_every_bound_is_json_schema() -> None:
    assert list(_leaked_constraints(document(), "")) == []
