"""A WebSocket blocked by a proxy still gives a chat: long-polling, and back up when it works."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, expect

from tests.blocking_proxy import BlockingProxy
from tests.clients import PASSWORD, add_operator
from tests.conftest import Server
from tests.e2e.conftest import new_page
from tests.e2e.test_chat_flow import bubble, visitor_says


@pytest.fixture
async def proxy(server: Server) -> AsyncIterator[BlockingProxy]:
    p = BlockingProxy(server.url)
    await p.start()
    yield p
    await p.stop()


async def transport_note(page: Page) -> str | None:
    return await page.evaluate("sessionStorage.getItem('prilavok.transport')")


async def test_widget_and_console_chat_by_long_polling_when_websockets_are_refused(
    server: Server, browser: Browser, proxy: BlockingProxy
) -> None:
    await add_operator(server.deps, "anna", name="Анна")
    _, console = await new_page(browser)
    await console.goto(f"{proxy.url}/console")
    await console.get_by_test_id("login-name").fill("anna")
    await console.get_by_test_id("login-password").fill(PASSWORD)
    await console.get_by_test_id("login-submit").click()
    await expect(console.locator("body[data-ready='1']")).to_have_count(1)

    _, shop = await new_page(browser)
    await shop.goto(f"{proxy.url}/shop/index.html")
    await shop.get_by_test_id("prilavok-launcher").click()
    await expect(shop.get_by_test_id("prilavok-connection")).to_be_hidden()
    await visitor_says(shop, "Меня не пускают по WebSocket")
    await expect(bubble(shop, "Меня не пускают по WebSocket")).to_have_attribute(
        "data-status", re.compile("sent|delivered|read")
    )

    await console.get_by_test_id("chat-item").click()
    pane = console.get_by_test_id("pane")
    await expect(pane.get_by_test_id("message-text")).to_have_text("Меня не пускают по WebSocket")
    box = pane.get_by_test_id("pane-input")
    await box.fill("Ничего, мы и так слышим")
    await box.press("Enter")
    await expect(bubble(shop, "Ничего, мы и так слышим")).to_be_visible()

    assert proxy.refused >= 2 and proxy.relayed == 0  # both sides tried, both fell back
    assert await transport_note(shop) == "polling"
    assert await transport_note(console) == "polling"

    # The proxy lets WebSockets through again: the next page starts on polling and goes up.
    proxy.allow_websocket = True
    await shop.locator("nav a", has_text="Новинки").first.click()
    await shop.wait_for_url(re.compile("product.html"))
    await expect(shop.get_by_test_id("prilavok-connection")).to_be_hidden()
    await shop.wait_for_function("sessionStorage.getItem('prilavok.transport') === null")
    assert proxy.relayed >= 1
    await visitor_says(shop, "А теперь по WebSocket")
    await expect(pane.get_by_test_id("message-text").last).to_have_text("А теперь по WebSocket")
