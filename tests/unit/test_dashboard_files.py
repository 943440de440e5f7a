"""The dashboard's files: its own, and the charting library npm installed, nothing else."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from gateway.problems import install_problem_handlers
from gateway.routes import dashboard


def _client() -> httpx.AsyncClient:
    app = FastAPI()
    install_problem_handlers(app)
    dashboard.install(app)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rt.test")


async def test_the_page_and_its_own_files() -> None:
    async with _client() as client:
        page = await client.get("/dashboard")
        assert page.status_code == 200
        assert "/dashboard/static/vendor/echarts.min.js" in page.text
        for name in ("dashboard.js", "charts.js", "dashboard.css", "favicon.svg"):
            assert (await client.get(f"/dashboard/static/{name}")).status_code == 200, name


async def test_nothing_else_of_the_directory_is_served() -> None:
    async with _client() as client:
        for name in ("package.json", "package-lock.json", "index.html", "..%2Fapp.py"):
            assert (await client.get(f"/dashboard/static/{name}")).status_code == 404, name
        nested = await client.get("/dashboard/static/node_modules/echarts/package.json")
        assert nested.status_code == 404


async def test_the_charting_library_is_served_from_this_origin(tmp_path: Path) -> None:
    if not dashboard.CHARTS.is_file():
        pytest.skip("the charting library is not installed (make install)")
    async with _client() as client:
        found = await client.get("/dashboard/static/vendor/echarts.min.js")
    assert found.status_code == 200
    assert found.headers["content-type"].startswith("text/javascript")
    assert b"echarts" in found.content[:2000]


async def test_a_missing_library_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dashboard, "CHARTS", tmp_path / "echarts.min.js")
    async with _client() as client:
        missing = await client.get("/dashboard/static/vendor/echarts.min.js")
    assert missing.status_code == 404
    assert "make install" in missing.json()["detail"]
