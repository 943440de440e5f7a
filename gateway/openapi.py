"""The OpenAPI document: FastAPI's, made to say every answer the gateway can give.

`add_shape_answers` gives each operation the errors that follow from its route's shape,
beside what the route itself declares:

- a caller to authenticate (`current_principal`): 401, 429 (the rate limits), 503 (the
  rate limits and the identity live in stores);
- a permission (`allow(...)`): 403;
- parameters or a body: 422 (a value of the wrong type or out of its bounds);
- a JSON body: 400 (not a JSON object of the expected shape) and 413 (past the limit);
- a `cursor`: 400 (one this list did not issue);
- the list parameters (`ListParams`): a `Link` header on the 200, to the next page;
- a command to publish (`BusDep`): 202 with the command's status URL, and 503 (the
  broker); with `If-Match`, 400 (not an ETag of ours) and 412 (an older version).

`openapi_document` then builds the document with the `Problem` schema those answers name,
and without FastAPI's default validation error schema, which no answer uses.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from pydantic import BaseModel
from starlette.routing import BaseRoute

from gateway.deps import current_principal, get_bus
from gateway.error_responses import Problem, Responses, problem_answer
from gateway.pagination import LINK_HEADER, list_query
from gateway.responses import ACCEPTED, CommandAccepted

REF_TEMPLATE = "#/components/schemas/{model}"


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for dependency in dependant.dependencies:
        yield from _dependants(dependency)


def shape_answers(route: APIRoute | RouteContext) -> Responses:
    """The answers `route` can give because of its shape (see the module's docstring)."""
    dependants = list(_dependants(route.dependant))
    calls: list[Callable[..., Any]] = [d.call for d in dependants if d.call is not None]
    params = [
        param
        for d in dependants
        for param in (*d.path_params, *d.query_params, *d.header_params, *d.cookie_params)
    ]
    statuses: set[int] = set()
    if current_principal in calls:
        statuses |= {401, 429, 503}
    if any(getattr(call, "permission", None) for call in calls):
        statuses.add(403)
    if params or route.body_field is not None:
        statuses.add(422)
    if route.body_field is not None:
        statuses |= {400, 413}
    if any(p.alias == "cursor" for p in params):
        statuses.add(400)  # a cursor this list did not issue
    answers: Responses = {}
    if get_bus in calls:
        # 410: a command about a person erased before a worker applied it (its personal
        # fields were sealed with the person's key, which erasure deleted).
        statuses |= {410, 503}
        answers[202] = ACCEPTED
        if any(p.alias.lower() == "if-match" for p in params):
            statuses |= {400, 412}
    answers.update({status: problem_answer(status) for status in sorted(statuses)})
    return answers


def api_routes(routes: Sequence[BaseRoute]) -> Iterator[RouteContext]:
    """Every route of the document, as FastAPI sees it once routers are included."""
    for route in iter_route_contexts(routes):
        if isinstance(route.original_route, APIRoute) and route.include_in_schema:
            yield route


def _validation_default(answer: dict[str, Any]) -> bool:
    """FastAPI's own 422 (`HTTPValidationError`), which the gateway never sends."""
    return "HTTPValidationError" in json.dumps(answer)


def _is_list(route: APIRoute | RouteContext) -> bool:
    return any(d.call is list_query for d in _dependants(route.dependant))


def add_shape_answers(document: dict[str, Any], routes: Sequence[BaseRoute]) -> None:
    """Each operation gets its route's shape answers (its own descriptions win)."""
    for route in api_routes(routes):
        answers = shape_answers(route)
        for method in route.methods or ():
            operation = document["paths"][route.path_format][method.lower()]
            documented: dict[str, Any] = operation.setdefault("responses", {})
            for status, answer in answers.items():
                current = documented.get(str(status))
                if current is None or _validation_default(current):
                    documented[str(status)] = copy.deepcopy(answer)
            if _is_list(route) and "200" in documented:
                documented["200"].setdefault("headers", {})["Link"] = copy.deepcopy(LINK_HEADER)


def _plain_parameter(schema: dict[str, Any]) -> None:
    """A parameter's schema without the `null` of an optional Python type: a query
    string, a path or a header has no null (an absent parameter is `required: false`),
    and the bounds given beside `anyOf` belong to the one real type."""
    branches = schema.get("anyOf")
    if not isinstance(branches, list):
        return
    real = [b for b in branches if b != {"type": "null"}]
    if len(real) == 1 and len(branches) == 2:
        del schema["anyOf"]
        for key, value in real[0].items():
            if key == "items" and "items" in schema:
                continue  # the outer `items` is the stricter: it was given for this
            schema.setdefault(key, value)


def plain_parameters(document: dict[str, Any]) -> None:
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                _plain_parameter(parameter.get("schema", {}))


def _component(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(ref_template=REF_TEMPLATE)


def openapi_document(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=app.servers,
    )
    add_shape_answers(document, app.routes)
    plain_parameters(document)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = _component(Problem)
    schemas.setdefault("CommandAccepted", _component(CommandAccepted))
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve the document above, built once, on first ask."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = openapi_document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


LOCATION = {
    "description": "The new resource's URL",
    "required": True,
    "schema": {"type": "string"},
}
SERVER_TIMING = {
    "description": "Where the write's time went in the gateway, in ms (`send`, `wait`, "
    "`wake`, `open` or `read`, `total`: gateway/server_timing.py)",
    "required": False,
    "schema": {"type": "string"},
}
ETAG = {
    "description": "The resource's version, for `If-Match`",
    "required": True,
    "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
}


def links(param: str, *operations: str, source: str = "$response.body#/id") -> dict[str, Any]:
    """OpenAPI links from an answer to the routes that take its id as `param`."""
    return {op: {"operationId": op, "parameters": {param: source}} for op in operations}


def created(example: dict[str, Any], param: str, *operations: str) -> dict[str, Any]:
    """The 201 of a create: `Location`, an example, and links to the routes that take
    the new id (what a client, or a stateful test, does next)."""
    return {
        "description": "Created: the resource as stored (its URL in `Location`)",
        "headers": {"Location": LOCATION, "Server-Timing": SERVER_TIMING},
        "content": {"application/json": {"example": example}},
        "links": links(param, *operations),
    }


def changed(example: dict[str, Any]) -> dict[str, Any]:
    """The 200 of a change: the resource as it is now."""
    return {
        "description": "Applied: the resource as it is now",
        "headers": {"Server-Timing": SERVER_TIMING},
        "content": {"application/json": {"example": example}},
    }


def found(example: dict[str, Any], *, etag: bool = False) -> dict[str, Any]:
    """The 200 of a read, with its `ETag` when the resource has a version."""
    answer: dict[str, Any] = {
        "description": "Found",
        "content": {"application/json": {"example": example}},
    }
    if etag:
        answer["headers"] = {"ETag": ETAG}
    return answer
