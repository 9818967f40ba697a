"""Errors the server sends are shown in the page's language, by their code."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.clients import add_operator
from tests.conftest import Server
from tests.e2e.test_chat_flow import open_console, open_shop, visitor_says

TOO_LONG = "Ж" * 4001


async def test_too_long_is_said_in_russian_in_the_widget_and_the_console(
    server: Server, browser: Browser
) -> None:
    await add_operator(server.deps, "anna", name="Анна")
    console = await open_console(browser, server, "anna")
    shop = await open_shop(browser, server)  # <html lang="ru">: the Russian widget

    await visitor_says(shop, TOO_LONG)
    error = shop.get_by_test_id("prilavok-error")
    await expect(error).to_have_text("Сообщение слишком длинное — не больше 4000 символов")
    await expect(shop.get_by_test_id("prilavok-message")).to_have_attribute("data-status", "failed")

    # The console, answering the same visitor with too long a reply.
    await visitor_says(shop, "Здравствуйте")
    await console.get_by_test_id("chat-item").click()
    box = console.get_by_test_id("pane").get_by_test_id("pane-input")
    await box.fill(TOO_LONG)
    await box.press("Enter")
    alert = console.locator("div.msg-error[role='alert'] > span").first
    await expect(alert).to_have_text("Сообщение слишком длинное")
    for page in (shop, console):
        await expect(page.locator("body")).not_to_contain_text("too long")
        await expect(page.locator("body")).not_to_contain_text("characters")
