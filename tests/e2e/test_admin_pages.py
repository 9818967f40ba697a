"""The admin page's modules load and every section fills from the server (no page error);
the console and admin styles (shared tokens and base, then their own files) all apply."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from tests.clients import PASSWORD, add_operator
from tests.conftest import Server
from tests.e2e.conftest import new_page

ACCENT = "rgb(47, 111, 237)"  # --accent of static/shared/tokens.css
ACCENT_SOFT = "rgb(232, 240, 254)"
WHITE = "rgb(255, 255, 255)"
# Rules per linked stylesheet of the page: a file that failed to load has none.
SHEETS = (
    "[...document.querySelectorAll('link[rel=stylesheet]')]"
    ".map(l => l.sheet ? l.sheet.cssRules.length : 0)"
)


async def all_styles_loaded(page: Page, count: int) -> None:
    rules = await page.evaluate(SHEETS)
    assert len(rules) == count and all(n > 0 for n in rules), rules


async def test_every_admin_section_shows_the_servers_data(
    browser: Browser, sqlite_server: Server
) -> None:
    await add_operator(sqlite_server.deps, "boss", role="admin")
    _, page = await new_page(browser)
    await page.goto(f"{sqlite_server.url}/console")
    # The shared tokens and buttons, then the console's own files (the login card is console's).
    await expect(page.get_by_test_id("login-submit")).to_have_css("background-color", ACCENT)
    await expect(page.get_by_test_id("login-form")).to_have_css("background-color", WHITE)
    await all_styles_loaded(page, 6)
    await page.get_by_test_id("login-name").fill("boss")
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("me-name")).to_be_visible()
    await page.goto(f"{sqlite_server.url}/admin")
    await expect(page.get_by_test_id("rule-row").first).to_be_visible()  # the shipped rules
    await expect(page.get_by_test_id("rule-new")).to_have_css("background-color", ACCENT)
    active = page.get_by_test_id("admin-nav-rules")
    await expect(active).to_have_css("background-color", ACCENT_SOFT)
    await all_styles_loaded(page, 5)
    await page.get_by_test_id("rule-new").click()
    await page.get_by_test_id("rule-add-condition").click()
    options = page.get_by_test_id("condition-list").locator("select").first.locator("option")
    await expect(options).to_have_count(8)
    await page.get_by_test_id("admin-nav-hours").click()
    await expect(page.get_by_test_id("hours-timezone")).not_to_have_value("")
    await page.get_by_test_id("admin-nav-operators").click()
    await expect(page.get_by_test_id("operator-name")).to_have_value("boss")
    await page.get_by_test_id("admin-nav-replies").click()
    await expect(page.get_by_test_id("admin-section-replies")).to_be_visible()
    await page.get_by_test_id("admin-nav-related").click()
    await expect(page.get_by_test_id("admin-section-related")).to_be_visible()
    await page.goto(f"{sqlite_server.url}/admin/stats")
    await expect(page.get_by_test_id("stats-apply")).to_have_css("background-color", ACCENT)
    await all_styles_loaded(page, 5)
