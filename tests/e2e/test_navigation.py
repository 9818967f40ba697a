"""Browsing the shop is not leaving it: page changes are no hidden tab and no exit intent."""

from __future__ import annotations

import re

from playwright.async_api import Browser, Page, expect
from sqlalchemy import func, select, update

from prilavok.storage.models import Invitation, ProactiveRule, Visit
from tests.clients import add_operator
from tests.conftest import Server
from tests.e2e.conftest import new_page
from tests.e2e.test_chat_flow import open_console, open_shop, visitor_says

EXIT_TEXT = "Уже уходите? Мы поможем выбрать"


async def only_exit_rule(server: Server) -> None:
    """The shipped rules off; one exit-intent invitation, shown to everyone (no control group)."""
    async with server.deps.write() as s:
        await s.execute(update(ProactiveRule).values(enabled=False))
        s.add(
            ProactiveRule(
                name="exit",
                enabled=True,
                priority=0,
                conditions={"match": "all", "items": [{"type": "exit_intent"}]},
                action="invite",
                text=EXIT_TEXT,
                fallback_callback=False,
                cap="visit",
                holdout_percent=0,
            )
        )


async def hide_tab(page: Page) -> None:
    """What a switch to another tab looks like to the page: hidden, no pagehide."""
    await page.evaluate(
        """() => {
          const own = (k, v) =>
            Object.defineProperty(document, k, {configurable: true, get: () => v});
          own('visibilityState', 'hidden');
          own('hidden', true);
          document.dispatchEvent(new Event('visibilitychange'));
        }"""
    )


async def show_tab(page: Page) -> None:
    await page.evaluate(
        """() => {
          delete document.visibilityState;
          delete document.hidden;
          document.dispatchEvent(new Event('visibilitychange'));
        }"""
    )


async def click_through(page: Page) -> None:
    """Catalogue -> product -> cart by the shop's own links, the widget connected on each."""
    for link, path in (
        (page.locator("nav a", has_text="Каталог"), "/shop/index.html"),
        (page.locator("a.card-link").first, "/shop/product.html"),
        (page.get_by_test_id("shop-cart-link").first, "/shop/cart.html"),
    ):
        await link.click()
        await page.wait_for_url(re.compile(re.escape(path)))
        await expect(page.get_by_test_id("prilavok-connection")).to_be_hidden()


async def exit_intents(server: Server) -> int:
    async with server.deps.sessions() as s:
        said = select(func.count()).select_from(Visit).where(Visit.exit_intent_at.is_not(None))
        return await s.scalar(said)


async def test_internal_links_are_no_hide_nor_exit_and_a_real_hide_still_is(
    server: Server, browser: Browser
) -> None:
    await only_exit_rule(server)
    await add_operator(server.deps, "anna", name="Анна")
    console = await open_console(browser, server, "anna")

    # A chatting visitor browses on: the console sees them visible, never "хотел уйти".
    shop = await open_shop(browser, server)
    await visitor_says(shop, "Смотрю дальше, подскажите потом")
    await console.get_by_test_id("chat-item").click()
    activity = console.get_by_test_id("ctx-activity")
    await expect(activity).to_have_attribute("data-hidden", "false")
    await click_through(shop)
    await expect(console.get_by_test_id("ctx-current-url")).to_contain_text("/shop/cart.html")
    await shop.wait_for_timeout(500)  # time for a (wrong) activity report to arrive
    await expect(activity).to_have_attribute("data-hidden", "false")
    await expect(activity).to_have_attribute("data-exit-intent", "false")
    await expect(console.get_by_test_id("ctx-hidden")).to_have_count(0)

    # A visitor not chatting: ordinary clicks spend nothing of the exit rule's cap.
    _, page = await new_page(browser)
    await page.goto(f"{server.url}/shop/index.html")
    await expect(page.get_by_test_id("prilavok-connection")).to_be_hidden()
    await click_through(page)
    await page.wait_for_timeout(500)
    await expect(page.get_by_test_id("prilavok-invitation")).to_be_hidden()
    async with server.deps.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Invitation)) == 0
    assert await exit_intents(server) == 0

    # A real hide (the tab switched) is still one: reported, and the exit rule fires.
    await hide_tab(page)
    await expect(page.get_by_test_id("prilavok-invitation-text")).to_have_text(EXIT_TEXT)
    async with server.deps.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Invitation)) == 1
    # ... and for the chatting visitor the console shows the tab hidden, then visible again.
    await hide_tab(shop)
    await expect(activity).to_have_attribute("data-hidden", "true")
    await expect(console.get_by_test_id("ctx-exit-intent")).to_be_visible()
    await show_tab(shop)
    await expect(activity).to_have_attribute("data-hidden", "false")
