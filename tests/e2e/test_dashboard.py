"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, Route, async_playwright, expect

from app.jobs.accounts import create_user
from app.jobs.demo import load_demo
from tests.e2e.conftest import LOG_DIR, PASSWORD, ROOT, Agency, System, _make_agency, login
from tests.e2e.helpers import candidate_body, move, open_requisition, post_json
from tests.harness.processes import free_port, spawn, stop, wait_for

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
SCREENSHOT = ROOT / "docs" / "images" / "dashboard.png"
CHARTS = ["funnel", "stages", "activity", "conversions", "weeks"]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            await launched.close()


def _watch_csp(page: Page) -> list[str]:
    """What the page tried that its Content-Security-Policy blocked (nothing, it must be)."""
    blocked: list[str] = []
    page.on(
        "console",
        lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return blocked


async def _log_in(page: Page, base_url: str, username: str, password: str = PASSWORD) -> None:
    await page.goto(f"{base_url}/dashboard")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("#login button[type=submit]")
    await expect(page.locator("#live")).to_have_text("live", timeout=15_000)


async def _pipeline(agency: Agency, n: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    requisition = await open_requisition(agency, 1)
    submissions = []
    for _ in range(n):
        candidate = await post_json(agency, "/api/v1/candidates", candidate_body())
        submissions.append(
            await post_json(
                agency,
                "/api/v1/submissions",
                {"candidate_id": candidate["id"], "requisition_id": requisition["id"]},
            )
        )
    return requisition, submissions


async def test_log_in_and_watch_a_number_change(system: System, browser: Browser) -> None:
    slug, tenant_id, username = await _make_agency(system, role="recruiter")
    token = await login(system.base_url, username)
    async with httpx.AsyncClient(
        base_url=system.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        agency = Agency(slug, tenant_id, client)
        _, (submission,) = await _pipeline(agency, 1)

        page = await browser.new_page()
        # The page runs under its Content-Security-Policy (no inline script): anything it
        # tried that the policy blocks would show up here.
        blocked = _watch_csp(page)
        await page.goto(f"{system.base_url}/dashboard")
        await page.fill("#username", username)
        await page.fill("#password", "wrong password")
        await page.click("#login button[type=submit]")
        await expect(page.locator("#login-error")).not_to_be_empty()

        await page.fill("#password", PASSWORD)
        await page.click("#login button[type=submit]")
        await expect(page.locator("#live")).to_have_text("live", timeout=15_000)
        await expect(page.locator("#login")).to_be_hidden()
        await expect(page.locator("#charts-missing")).to_be_hidden()
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


async def test_a_nameless_leaderboard_row_is_looked_up_once(
    system: System, browser: Browser
) -> None:
    """A recruiter the API cannot name (here: the name routes answer nothing) is asked for
    once, not at every render in a loop."""
    slug, tenant_id, username = await _make_agency(system, role="recruiter")
    token = await login(system.base_url, username)
    async with httpx.AsyncClient(
        base_url=system.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        agency = Agency(slug, tenant_id, client)
        _, submissions = await _pipeline(agency, 3)
        for s in submissions:
            await move(agency, s["id"], "submitted")

        page = await browser.new_page()
        asked: list[str] = []

        async def nameless(route: Route) -> None:
            asked.append(route.request.url)
            empty = {"week": "", "weeks": [], "recruiters": [], "items": []}
            await route.fulfill(json=empty)

        await page.route("**/api/v1/analytics/leaderboard*", nameless)
        await page.route("**/api/v1/analytics/recruiters*", nameless)
        await _log_in(page, system.base_url, username)
        await expect(page.locator("#leaderboard tbody tr")).to_have_count(1, timeout=10_000)
        # A short form of the label stands in for the name.
        await expect(page.locator("#leaderboard tbody td").first).to_contain_text("user ")
        # More updates through the stream, each re-rendering the leaderboard.
        for s in submissions:
            await move(agency, s["id"], "interviewing")
        await expect(page.locator("#funnel-current-interviewing")).to_have_text("3")
        await page.wait_for_timeout(1500)
        leaderboard = [u for u in asked if "/leaderboard" in u]
        assert len(leaderboard) == 1, leaderboard


async def test_a_demo_agency_in_charts(system: System, browser: Browser) -> None:
    """A realistic agency (the demo data, six weeks of history): the charts draw it, show
    tooltips on hover, a requisition is picked from a list and the figures follow, the
    alerts are grouped; with UPDATE_SCREENSHOTS=1 the screenshot becomes the README's."""
    slug = f"demo-{uuid.uuid4().hex[:8]}"
    await load_demo(system.settings, slug, 90, seed=11)
    username = f"admin@{slug}"
    await create_user(
        system.settings, tenant=slug, username=username, password=PASSWORD, role="admin"
    )
    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    blocked = _watch_csp(page)
    await _log_in(page, system.base_url, username)
    await expect(page.locator("#funnel-reached-sourced")).to_have_text("90", timeout=20_000)

    # Every chart is a canvas with data in it.
    for name in CHARTS:
        await expect(page.locator(f"#chart-{name} canvas").first).to_be_visible()
    drawn = await page.evaluate(
        """(names) => Object.fromEntries(names.map((n) => {
            const chart = echarts.getInstanceByDom(document.getElementById(`chart-${n}`));
            const values = chart.getOption().series.flatMap((s) => s.data)
              .map((d) => (d !== null && typeof d === "object" ? d.value : d));
            return [n, values.filter((v) => typeof v === "number" && v > 0).length];
        }))""",
        CHARTS,
    )
    assert all(drawn[name] > 0 for name in CHARTS), drawn

    # Times in days and hours, not 0.0 h.
    for kpi in ("#kpi-time-to-submit", "#kpi-time-to-fill"):
        figure = await page.locator(kpi).inner_text()
        assert not figure.startswith(("0.0 h", "\u2013")), figure

    # Tooltips on hover: the activity chart names the hour and each kind of move.
    activity = page.locator("#chart-activity")
    await activity.scroll_into_view_if_needed()
    box = await activity.bounding_box()
    assert box is not None
    await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=4)
    tip = page.locator("#chart-activity .rt-tooltip")
    await expect(tip).to_be_visible()
    await expect(tip).to_contain_text("submissions:")
    await expect(tip).to_contain_text("placements:")
    funnel = page.locator("#chart-funnel")
    await funnel.scroll_into_view_if_needed()
    box = await funnel.bounding_box()
    assert box is not None
    await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 20, steps=4)
    await expect(page.locator("#chart-funnel .rt-tooltip")).to_contain_text("ever reached")

    # The alerts come grouped by kind, counted, five at a time.
    groups = page.locator("#alerts .alert-group")
    await expect(groups.first).to_be_visible(timeout=20_000)
    total = 0
    for i in range(await groups.count()):
        group = groups.nth(i)
        count = int(await group.locator("summary .count").inner_text())
        total += count
        await expect(group.locator("li")).to_have_count(min(count, 5))
        if count > 5:
            await group.locator("button.more").click()
            await expect(group.locator("li")).to_have_count(min(count, 10))
    await expect(page.locator("#alerts-total")).to_have_text(str(total))

    await page.screenshot(path=str(LOG_DIR / "dashboard-demo.png"), full_page=True)
    # The README's picture is refreshed only when asked: every run would otherwise leave
    # the checkout with a changed file (its pixels move with the times on the axes).
    if os.environ.get("UPDATE_SCREENSHOTS"):
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOT), full_page=True)

    # Narrow to a requisition picked from the list: the figures follow.
    await page.select_option("#slice-kind", "requisition_id")
    options = page.locator("#slice-value option")
    await expect(options).to_have_count(36, timeout=10_000)
    await page.select_option("#slice-value", index=3)
    picked = await page.locator("#slice-value").input_value()
    async with httpx.AsyncClient(base_url=system.base_url, timeout=30) as anon:
        token = (
            await anon.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
        ).json()["access_token"]
        funnel_of = await anon.get(
            "/api/v1/analytics/funnel",
            params={"requisition_id": picked},
            headers={"Authorization": f"Bearer {token}"},
        )
    reached = funnel_of.json()["reached"]["sourced"]
    assert reached < 90
    await expect(page.locator("#funnel-reached-sourced")).to_have_text(str(reached))
    # And a recruiter, by name.
    await page.select_option("#slice-kind", "recruiter")
    await expect(page.locator("#slice-value option", has_text=f"ada@{slug}")).to_have_count(1)
    await page.select_option("#slice-value", label=f"ada@{slug}")
    await expect(page.locator("#funnel-reached-sourced")).not_to_have_text("90")
    assert blocked == []


@pytest.fixture
def short_lived_gateway(system: System) -> Iterator[str]:
    """A second gateway over the same stores and workers, whose access tokens live 6 s."""
    port = free_port()
    env = {**os.environ, "JWT_EXPIRY_SECONDS": "6"}
    log = LOG_DIR / "gateway-short-tokens.log"
    gateway = spawn(["gateway", "--port", str(port)], env, log, ROOT)
    base_url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{base_url}/ready", timeout=3).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(ready, "the short-token gateway", log, 90)
        yield base_url
    finally:
        stop(gateway)


async def test_the_page_renews_its_token(
    system: System, browser: Browser, short_lived_gateway: str
) -> None:
    """A wall display stays signed in: past several expiries of its access token the page
    still follows the stream (it renewed the token with the refresh token)."""
    slug, tenant_id, username = await _make_agency(system, role="recruiter")
    token = await login(system.base_url, username)
    async with httpx.AsyncClient(
        base_url=system.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        agency = Agency(slug, tenant_id, client)
        _, (submission,) = await _pipeline(agency, 1)
        page = await browser.new_page()
        renewals: list[int] = []
        page.on(
            "response",
            lambda r: renewals.append(r.status) if r.url.endswith("/auth/refresh") else None,
        )
        await _log_in(page, short_lived_gateway, username)
        await expect(page.locator("#funnel-current-sourced")).to_have_text("1", timeout=10_000)
        await asyncio.sleep(14)  # two lifetimes of the access token
        await move(agency, submission["id"], "screened")
        await expect(page.locator("#funnel-current-screened")).to_have_text("1", timeout=10_000)
        await expect(page.locator("#login")).to_be_hidden()
        await expect(page.locator("#live")).to_have_text("live")
        assert len(renewals) >= 2
        assert set(renewals) == {200}
