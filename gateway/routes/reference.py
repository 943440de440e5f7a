"""The API reference as pages: Swagger UI over /api/openapi.json at `/api/docs`, and the
AsyncAPI document rendered at `/api/asyncapi`. Everything they load comes from here.

Swagger UI's script and stylesheet come from the `swagger-ui-py` package, pinned in
pyproject.toml and uv.lock like any dependency: it ships Swagger UI 5 (which reads
OpenAPI 3.1, the version FastAPI writes) as plain files (`gateway/swagger_assets.py`
serves the few the page needs). The pages' own HTML, script and style are in
`gateway/reference/`, with no inline script, so the pages run under a
Content-Security-Policy that allows only this origin (`gateway/security_headers.py`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from gateway import swagger_assets

PAGES = Path(__file__).resolve().parents[1] / "reference"
ASSETS_PATH = "/api/reference"
# Pinned: the same version's files until the dependency changes.
CACHE = {"Cache-Control": "public, max-age=86400"}

router = APIRouter(include_in_schema=False)


@router.get("/api/docs")
async def swagger_page() -> FileResponse:
    return FileResponse(PAGES / "docs.html", media_type="text/html")


@router.get("/api/asyncapi")
async def asyncapi_page() -> FileResponse:
    return FileResponse(PAGES / "asyncapi.html", media_type="text/html")


@router.get(ASSETS_PATH + "/swagger-ui/{name}")
async def swagger_asset(name: str) -> Response:
    media_type = swagger_assets.FILES.get(name)
    if media_type is None:
        raise HTTPException(404, "Not Found")
    if name == "swagger-ui.css":
        css, _ = swagger_assets.stylesheet()
        return Response(css, media_type=media_type, headers=CACHE)
    return FileResponse(swagger_assets.package_dir() / name, media_type=media_type, headers=CACHE)


@router.get(ASSETS_PATH + "/swagger-ui/img/{name}")
async def swagger_image(name: str) -> Response:
    _, images = swagger_assets.stylesheet()
    image = images.get(name)
    if image is None:
        raise HTTPException(404, "Not Found")
    return Response(image.content, media_type=image.media_type, headers=CACHE)


def install(app: FastAPI) -> None:
    swagger_assets.stylesheet()  # a missing package fails at start, not on the first visit
    app.include_router(router)
    app.mount(ASSETS_PATH, StaticFiles(directory=PAGES), name="reference-static")
