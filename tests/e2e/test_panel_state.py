"""The panel across the pages of a visit, and a reply that comes while it is closed."""

from __future__ import annotations

import re

from playwright.async_api import Browser, Page, expect

from tests.clients import add_operator, cid, login, operator
from tests.conftest import Server
from tests.e2e.test_chat_flow import open_shop, visitor_says


async def answer(console, text: str) -> None:  # type: ignore[no-untyped-def]
    chat = await console.wait_for("chat", timeout=10)
    ack = await console.call(
        "message", {"conversation_id": chat["id"], "client_id": cid(), "text": text}
    )
    assert ack["ok"], ack


async def go(page: Page, link: str, path: str) -> None:
    await page.locator("nav a", has_text=link).first.click()
    await page.wait_for_url(re.compile(re.escape(path)))
    await expect(page.get_by_test_id("prilavok-connection")).to_be_hidden()


async def test_open_panel_draft_and_scroll_survive_a_page_change(
    server: Server, browser: Browser
) -> None:
    await add_operator(server.deps, "anna", name="Анна")
    console = await operator(server.url, await login(server.url, "anna"))
    shop = await open_shop(browser, server, "/shop/index.html")
    await visitor_says(shop, "Здравствуйте, расскажите про доставку")
    long_reply = "\n".join(f"Пункт {n}: подробности доставки" for n in range(1, 40))
    await answer(console, long_reply)
    messages = shop.get_by_test_id("prilavok-messages")
    await expect(
        shop.get_by_test_id("prilavok-message").filter(has_text="Пункт 39")
    ).to_be_visible()
    await messages.evaluate("l => { l.scrollTop = 120; }")
    await shop.get_by_test_id("prilavok-input").fill("А если в субботу")
    await shop.wait_for_timeout(400)  # the scroll position is kept after a short pause

    await go(shop, "Новинки", "/shop/product.html")
    await expect(shop.get_by_test_id("prilavok-panel")).to_be_visible()
    await expect(shop.get_by_test_id("prilavok-input")).to_have_value("А если в субботу")
    await expect(shop.get_by_test_id("prilavok-message").filter(has_text="Пункт 39")).to_have_count(
        1
    )
    top = await messages.evaluate("l => l.scrollTop")
    assert abs(top - 120) <= 2, top

    # Closed stays closed on the next page too.
    await shop.get_by_test_id("prilavok-close").click()
    await go(shop, "Каталог", "/shop/index.html")
    await expect(shop.get_by_test_id("prilavok-panel")).to_be_hidden()
    await console.close()


async def test_a_reply_to_a_closed_panel_shows_its_text_by_the_launcher(
    server: Server, browser: Browser
) -> None:
    await add_operator(server.deps, "anna", name="Анна")
    console = await operator(server.url, await login(server.url, "anna"))
    shop = await open_shop(browser, server, "/shop/index.html")
    await visitor_says(shop, "Есть ли чехол?")
    await expect(
        shop.get_by_test_id("prilavok-message").filter(has_text="Есть ли чехол?")
    ).to_have_attribute("data-status", re.compile("sent|delivered|read"))
    await shop.get_by_test_id("prilavok-close").click()

    reply = "<b>Есть</b>, «Нева 12» в наличии"
    await answer(console, reply)
    preview = shop.get_by_test_id("prilavok-preview")
    await expect(preview).to_be_visible()
    await expect(shop.get_by_test_id("prilavok-preview-text")).to_have_text(reply)
    await expect(shop.get_by_test_id("prilavok-preview-author")).to_have_text("Анна")
    assert await preview.locator("b").count() == 0  # text, never markup
    await expect(shop.get_by_test_id("prilavok-badge")).to_have_text("1")

    # Still there on the next page while unread; a click opens the panel and it goes.
    await go(shop, "Новинки", "/shop/product.html")
    await expect(shop.get_by_test_id("prilavok-preview-text")).to_have_text(reply)
    await preview.click()
    await expect(shop.get_by_test_id("prilavok-panel")).to_be_visible()
    await expect(preview).to_be_hidden()
    await expect(shop.get_by_test_id("prilavok-badge")).to_be_hidden()
    await console.close()
