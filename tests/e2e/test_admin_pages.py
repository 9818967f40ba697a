"""The admin page's modules load and every section fills from the server (no page error)."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.clients import PASSWORD, add_operator
from tests.conftest import Server
from tests.e2e.conftest import new_page


async def test_every_admin_section_shows_the_servers_data(
    browser: Browser, sqlite_server: Server
) -> None:
    await add_operator(sqlite_server.deps, "boss", role="admin")
    _, page = await new_page(browser)
    await page.goto(f"{sqlite_server.url}/console")
    await page.get_by_test_id("login-name").fill("boss")
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("me-name")).to_be_visible()
    await page.goto(f"{sqlite_server.url}/admin")
    await expect(page.get_by_test_id("rule-row").first).to_be_visible()  # the shipped rules
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
    await expect(page.get_by_test_id("stats-apply")).to_be_visible()
