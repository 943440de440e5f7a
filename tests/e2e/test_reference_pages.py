"""The reference pages in a real browser, offline: Swagger UI at /api/docs and the AsyncAPI
page at /api/asyncapi render from the gateway alone, under a CSP of 'self' only."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, Page, Request, async_playwright, expect

from gateway.security_headers import DOCS_CSP
from tests.e2e.conftest import LOG_DIR, System
from tests.e2e.test_dashboard import CHROMIUM, FLAGS

pytestmark = pytest.mark.stack


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            await launched.close()


async def _watched(browser: Browser, system: System) -> tuple[Page, list[str], list[str]]:
    """A page that records CSP violations, errors, and any request leaving the gateway."""
    page = await browser.new_page()
    problems: list[str] = []
    elsewhere: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"{m.text} ({m.location.get('url')})")
            if m.type == "error" or "Content Security Policy" in m.text
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))

    def outside(request: Request) -> None:
        if not request.url.startswith(system.base_url):
            elsewhere.append(request.url)

    page.on("request", outside)
    return page, problems, elsewhere


async def test_the_pages_are_served_under_a_self_only_csp(system: System) -> None:
    async with httpx.AsyncClient(base_url=system.base_url) as client:
        for path in ("/api/docs", "/api/asyncapi"):
            page = await client.get(path)
            assert page.status_code == 200
            assert page.headers["content-type"].startswith("text/html")
            csp = page.headers["Content-Security-Policy"]
            assert csp == DOCS_CSP
            assert "http" not in csp
            assert "unsafe" not in csp
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
            served = await client.get(f"/api/reference/swagger-ui/{asset}")
            assert served.status_code == 200
            assert len(served.content) > 10_000
        assert (await client.get("/api/reference/swagger-ui/index.html")).status_code == 404


async def test_swagger_ui_renders_every_operation(system: System, browser: Browser) -> None:
    page, problems, elsewhere = await _watched(browser, system)
    await page.goto(f"{system.base_url}/api/docs")
    await expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "RefactorTrack API", timeout=20_000
    )
    await expect(page.locator(".opblock-tag-section").first).to_be_visible()
    # The create route, opened: its problem+json errors and its example are there.
    create = page.locator("#operations-candidates-create_candidate")
    await create.locator(".opblock-summary").click()
    await expect(create.locator(".responses-table")).to_contain_text("application/problem+json")
    await expect(create.locator(".responses-table")).to_contain_text("409")
    assert await page.locator(".opblock").count() >= 60
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(LOG_DIR / "api-docs.png"), full_page=False)
    assert problems == []
    assert elsewhere == []


async def test_the_asyncapi_page_renders_channels_and_payloads(
    system: System, browser: Browser
) -> None:
    page, problems, elsewhere = await _watched(browser, system)
    await page.goto(f"{system.base_url}/api/asyncapi")
    await expect(page.locator("#asyncapi")).to_have_attribute("aria-busy", "false")
    namespace = system.settings.topic_namespace
    await expect(page.locator("#channels")).to_contain_text(f"{namespace}.candidates.commands")
    message = page.locator("#message-candidate_create")
    await expect(message).to_contain_text("candidate.create")
    await message.locator("details.payload > summary").click()
    # The envelope and the payload record, with a field and its bound.
    await expect(message.locator("details.payload table.schema").first).to_contain_text(
        "command_id"
    )
    await expect(message).to_contain_text("first_name")
    assert await page.locator("article.message").count() >= 20
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(LOG_DIR / "asyncapi.png"), full_page=False)
    assert problems == []
    assert elsewhere == []
