"""A buyer's whole journey: cart, chat with the cart in the console, rating, purchase, related."""

from __future__ import annotations

import asyncio

from playwright.async_api import Browser, expect
from sqlalchemy import select

from prilavok.storage.models import Conversation, Purchase, RelatedProduct
from tests.clients import PASSWORD, add_operator
from tests.conftest import Server
from tests.e2e.conftest import new_page


async def test_cart_chat_rating_purchase_and_related_goods(
    sqlite_server: Server, browser: Browser
) -> None:
    server = sqlite_server
    await add_operator(server.deps, "anna", name="Анна")
    async with server.deps.write() as s:
        s.add(RelatedProduct(category="phones", title="Защитное стекло", url="/shop/glass"))
        s.add(RelatedProduct(category="audio", title="Не к месту", url="/shop/other"))
    _, console = await new_page(browser)
    console.on("dialog", lambda d: asyncio.ensure_future(d.accept()))
    await console.goto(f"{server.url}/console")
    await console.get_by_test_id("login-name").fill("anna")
    await console.get_by_test_id("login-password").fill(PASSWORD)
    await console.get_by_test_id("login-submit").click()
    await expect(console.get_by_test_id("me-name")).to_have_text("Анна")
    await expect(console.locator("body[data-ready='1']")).to_have_count(1)

    _, shop = await new_page(browser)
    await shop.goto(f"{server.url}/shop/index.html")
    await shop.locator('[data-testid="shop-add"][data-add="neva-12"]').click()
    await shop.goto(f"{server.url}/shop/cart.html")
    await expect(shop.get_by_test_id("shop-cart-row")).to_have_count(1)
    await shop.get_by_test_id("prilavok-launcher").click()
    await shop.get_by_test_id("prilavok-input").fill("Подойдёт ли чехол?")
    await shop.get_by_test_id("prilavok-input").press("Enter")

    await console.get_by_test_id("chat-item").click()
    cart = console.get_by_test_id("ctx-cart")
    await expect(cart).to_contain_text("Нева 12")
    await expect(console.get_by_test_id("ctx-cart-total")).to_contain_text("34")
    await console.get_by_test_id("pane").get_by_test_id("close-chat").click()
    await expect(console.get_by_test_id("chat-item")).to_have_count(0)

    rating = shop.get_by_test_id("prilavok-rating")
    await expect(rating).to_be_visible()
    await rating.locator('[data-testid="prilavok-rating-star"][data-score="5"]').click()
    await rating.get_by_test_id("prilavok-rating-comment").fill("Быстро и по делу")
    await rating.get_by_test_id("prilavok-rating-submit").click()
    await expect(shop.get_by_test_id("prilavok-rating-thanks")).to_be_visible()
    async with server.deps.sessions() as s:
        conv = await s.scalar(select(Conversation))
    assert (conv.rating, conv.rating_comment) == (5, "Быстро и по делу")

    await shop.get_by_test_id("prilavok-close").click()
    await shop.get_by_test_id("shop-checkout").click()
    await expect(shop.get_by_test_id("shop-thanks")).to_be_visible()
    congrats = shop.get_by_test_id("prilavok-purchase")
    await expect(congrats).to_be_visible()
    related = congrats.get_by_test_id("prilavok-related-item")
    await expect(related).to_have_count(1)
    await expect(related).to_have_text("Защитное стекло")
    assert (await related.get_attribute("href")).endswith("/shop/glass")
    await shop.reload()  # the thank-you page again: still one order
    await expect(shop.get_by_test_id("shop-thanks")).to_be_visible()
    await asyncio.sleep(0.5)
    async with server.deps.sessions() as s:
        purchases = list(await s.scalars(select(Purchase)))
    assert len(purchases) == 1 and purchases[0].total == 34990
