"""The live pipeline dashboard: a static page that logs in with the API and reads the
analytics stream. No server-side rendering; the page is in `gateway/dashboard/`."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

PAGES = Path(__file__).resolve().parents[1] / "dashboard"

router = APIRouter(tags=["operations"])


@router.get(
    "/dashboard",
    summary="Live pipeline dashboard (HTML)",
    description="Funnel, key figures, activity, leaderboard, alerts and sources, updated "
    "live from `/api/v1/analytics/stream`. Log in with an API user.",
    response_class=FileResponse,
)
async def dashboard() -> FileResponse:
    return FileResponse(PAGES / "index.html", media_type="text/html")


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/dashboard/static", StaticFiles(directory=PAGES), name="dashboard-static")
