"""Presence as people see it: an operator is «в сети» only while a console is connected."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from tests.clients import add_operator, login, operator
from tests.conftest import Server
from tests.e2e.conftest import console_login, new_page


async def anna_status(page: Page, server: Server):  # type: ignore[no-untyped-def]
    await page.goto(f"{server.url}/admin")
    await page.get_by_test_id("admin-nav-operators").click()
    return page.locator("[data-testid='operator-row'][data-login='anna']").get_by_test_id(
        "operator-status"
    )


async def test_admin_sees_an_operator_online_only_while_their_console_is_connected(
    server: Server, browser: Browser
) -> None:
    await add_operator(server.deps, "boss", role="admin")
    await add_operator(server.deps, "anna", name="Анна")  # status "online" in the database
    _, admin = await new_page(browser)
    await console_login(admin, server.url, "boss")

    status = await anna_status(admin, server)
    await expect(status).to_have_text("не в сети")  # logged in nowhere: not online

    console = await operator(server.url, await login(server.url, "anna"))
    status = await anna_status(admin, server)
    await expect(status).to_have_text("в сети")
    await expect(status).to_have_attribute("data-online", "true")

    await console.close()
    status = await anna_status(admin, server)
    await expect(status).to_have_text("не в сети")
