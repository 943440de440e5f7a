"""The API reference as pages: Swagger UI over /api/openapi.json at `/api/docs`, and the
AsyncAPI document rendered at `/api/asyncapi`. Everything they load comes from here.

Swagger UI's script and stylesheet come from the `swagger-ui-py` package, pinned in
pyproject.toml and uv.lock like any dependency: it ships Swagger UI 5 (which reads
OpenAPI 3.1, the version FastAPI writes) as plain files, and only those two files are
served. The pages' own HTML, script and style are in `gateway/reference/`, with no inline
script, so the pages run under a Content-Security-Policy that allows only this origin
(`gateway/security_headers.py`).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

PAGES = Path(__file__).resolve().parents[1] / "reference"
ASSETS_PATH = "/api/reference"
# The files of Swagger UI the page needs, and their media types: nothing else is served.
SWAGGER_FILES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
}

router = APIRouter(include_in_schema=False)


def swagger_ui_dir() -> Path:
    """The package's static files, found without importing it (its import pulls in web
    framework adapters we do not use)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed; run `make install`")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


@router.get("/api/docs")
async def swagger_page() -> FileResponse:
    return FileResponse(PAGES / "docs.html", media_type="text/html")


@router.get("/api/asyncapi")
async def asyncapi_page() -> FileResponse:
    return FileResponse(PAGES / "asyncapi.html", media_type="text/html")


@router.get(ASSETS_PATH + "/swagger-ui/{name}")
async def swagger_asset(name: str) -> FileResponse:
    media_type = SWAGGER_FILES.get(name)
    if media_type is None:
        raise HTTPException(404, "Not Found")
    return FileResponse(
        swagger_ui_dir() / name,
        media_type=media_type,
        # Pinned: the same version's files until the dependency changes.
        headers={"Cache-Control": "public, max-age=86400"},
    )


def install(app: FastAPI) -> None:
    swagger_ui_dir()  # a missing package fails at start, not on the first visit
    app.include_router(router)
    app.mount(ASSETS_PATH, StaticFiles(directory=PAGES), name="reference-static")
