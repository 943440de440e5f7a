"""The live pipeline dashboard: a static page that logs in with the API and reads the
analytics stream. No server-side rendering; the page is in `gateway/dashboard/`.

Its charts are drawn by Apache ECharts, installed from npm (`gateway/dashboard/package.json`
and its lock file pin the version; `make install` runs `npm ci` there, the image does the
same) and served from this origin, so the page's Content-Security-Policy stays `'self'`
and no chart depends on another site. Only the page's own files and that one library file
are served, never the rest of `node_modules`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.responses import FileResponse

log = logging.getLogger(__name__)

PAGES = Path(__file__).resolve().parents[1] / "dashboard"
CHARTS = PAGES / "node_modules" / "echarts" / "dist" / "echarts.min.js"
INSTALL_HINT = (
    "The dashboard's charting library is not installed: run `make install` (or `npm ci` in "
    "gateway/dashboard) and restart the gateway."
)
OWN_FILES = {
    "dashboard.js": "text/javascript",
    "charts.js": "text/javascript",
    "dashboard.css": "text/css",
    "favicon.svg": "image/svg+xml",
}

router = APIRouter(tags=["operations"])


@router.get(
    "/dashboard",
    summary="Live pipeline dashboard (HTML)",
    description="Funnel, key figures, activity, time in stage, week over week, leaderboard, "
    "alerts and sources, updated live from `/api/v1/analytics/stream`. Log in with an API "
    "user.",
    response_class=FileResponse,
)
async def dashboard() -> FileResponse:
    return FileResponse(PAGES / "index.html", media_type="text/html")


@router.get("/dashboard/static/vendor/echarts.min.js", include_in_schema=False)
async def charting_library() -> FileResponse:
    if not CHARTS.is_file():
        raise HTTPException(404, INSTALL_HINT)
    return FileResponse(CHARTS, media_type="text/javascript")


@router.get("/dashboard/static/{name}", include_in_schema=False)
async def page_file(name: str) -> FileResponse:
    media_type = OWN_FILES.get(name)
    if media_type is None:
        raise HTTPException(404, f"the dashboard has no file '{name}'")
    return FileResponse(PAGES / name, media_type=media_type)


def install(app: FastAPI) -> None:
    if not CHARTS.is_file():
        log.warning("%s (looked for %s)", INSTALL_HINT, CHARTS)
    app.include_router(router)
