"""Security headers on every answer, errors included (an app of its own, no servers)."""

from __future__ import annotations

import httpx

from gateway.problems import install_problem_handlers
from gateway.security_headers import API_CSP, DASHBOARD_CSP, HeaderedAPI


def _app(*, force_hsts: bool = False) -> HeaderedAPI:
    app = HeaderedAPI(hsts_max_age=600, force_hsts=force_hsts)
    install_problem_handlers(app)

    @app.get("/dashboard")
    async def page() -> dict[str, str]:
        return {}

    @app.get("/boom")
    async def boom() -> dict[str, str]:
        raise RuntimeError("a bug")

    return app


def _client(app: HeaderedAPI, base_url: str = "http://rt.example") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=base_url)


async def test_every_answer_has_them_even_an_unexpected_error() -> None:
    async with _client(_app()) as client:
        for path, status in (("/dashboard", 200), ("/nowhere", 404), ("/boom", 500)):
            r = await client.get(path)
            assert r.status_code == status
            assert r.headers["X-Content-Type-Options"] == "nosniff"
            assert r.headers["Referrer-Policy"] == "no-referrer"
            assert r.headers["X-Frame-Options"] == "DENY"
            assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
            assert "Strict-Transport-Security" not in r.headers  # plain http
        page = await client.get("/dashboard")
        assert page.headers["Content-Security-Policy"] == DASHBOARD_CSP
        assert (await client.get("/nowhere")).headers["Content-Security-Policy"] == API_CSP
        assert "'unsafe-inline'" not in DASHBOARD_CSP


async def test_hsts_over_tls_or_when_forced() -> None:
    async with _client(_app(), base_url="https://rt.example") as client:
        hsts = (await client.get("/dashboard")).headers["Strict-Transport-Security"]
        assert hsts == "max-age=600; includeSubDomains"
    async with _client(_app(force_hsts=True)) as client:
        assert "Strict-Transport-Security" in (await client.get("/dashboard")).headers
