"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, async_playwright, expect

from tests.e2e.conftest import LOG_DIR, PASSWORD, Agency, System, _make_agency, login
from tests.e2e.helpers import candidate_body, move, open_requisition, post_json

pytestmark = pytest.mark.stack

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Quiet, offline Chromium: no background calls to hosts this machine cannot reach.
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            await launched.close()


async def test_log_in_and_watch_a_number_change(system: System, browser: Browser) -> None:
    slug, tenant_id, username = await _make_agency(system, role="recruiter")
    token = await login(system.base_url, username)
    async with httpx.AsyncClient(
        base_url=system.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        agency = Agency(slug, tenant_id, client)
        requisition = await open_requisition(agency, 1)
        candidate = await post_json(agency, "/api/v1/candidates", candidate_body())
        submission = await post_json(
            agency,
            "/api/v1/submissions",
            {"candidate_id": candidate["id"], "requisition_id": requisition["id"]},
        )

        page = await browser.new_page()
        # The page runs under its Content-Security-Policy (no inline script): anything it
        # tried that the policy blocks would show up here.
        blocked: list[str] = []
        page.on(
            "console",
            lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None,
        )
        await page.goto(f"{system.base_url}/dashboard")
        await page.fill("#username", username)
        await page.fill("#password", "wrong password")
        await page.click("#login button[type=submit]")
        await expect(page.locator("#login-error")).not_to_be_empty()

        await page.fill("#password", PASSWORD)
        await page.click("#login button[type=submit]")
        await expect(page.locator("#live")).to_have_text("live", timeout=15_000)
        await expect(page.locator("#login")).to_be_hidden()
        await expect(page.locator("#funnel-current-sourced")).to_have_text("1", timeout=15_000)
        await expect(page.locator("#funnel-current-client_review")).to_have_text("0")

        await move(agency, submission["id"], "client_review")
        # Pushed through the stream: no reload, no polling by the page.
        await expect(page.locator("#funnel-current-client_review")).to_have_text(
            "1", timeout=10_000
        )
        await expect(page.locator("#funnel-current-sourced")).to_have_text("0")
        await expect(page.locator("#funnel-reached-submitted")).to_have_text("1")
        await expect(page.locator("#activity-submissions")).to_have_text("submissions: 1")
        await expect(page.locator("#leaderboard tbody tr")).to_have_count(1)
        await expect(page.locator("#leaderboard tbody td").first).to_have_text(username)
        assert blocked == []
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(LOG_DIR / "dashboard.png"), full_page=True)
