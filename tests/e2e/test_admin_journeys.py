"""/admin/journeys in a browser: the shipped journeys are listed with their reports, an edit
is saved, and a definition that is not JSON is refused next to the form."""

from __future__ import annotations

from playwright.async_api import Browser, expect
from sqlalchemy import select

from prilavok.bot import api_keys
from prilavok.storage.models import Journey
from tests.clients import add_operator
from tests.conftest import Server
from tests.e2e.conftest import console_login, new_page


async def test_an_admin_edits_a_journey(browser: Browser, sqlite_server: Server) -> None:
    await add_operator(sqlite_server.deps, "boss", role="admin")
    await api_keys.create(sqlite_server.deps, "shop-1")
    _, page = await new_page(browser)
    await console_login(page, sqlite_server.url, "boss")
    await page.goto(f"{sqlite_server.url}/admin/journeys")
    card = page.get_by_test_id("journey-abandoned_cart")
    await expect(card).to_contain_text("Брошенная корзина (shop-1)")
    await expect(page.get_by_test_id("journey-order_status")).to_contain_text("Статус заказа")
    await expect(card).to_contain_text("нет контрольной группы")
    await page.get_by_test_id("journey-holdout-abandoned_cart").fill("25")
    await page.get_by_test_id("journey-save-abandoned_cart").click()
    await expect(page.get_by_test_id("journey-save-abandoned_cart")).to_have_text("Сохранено")
    async with sqlite_server.deps.sessions() as session:
        saved = await session.scalar(select(Journey).where(Journey.key == "abandoned_cart"))
    assert saved is not None and saved.holdout_percent == 25

    await page.get_by_test_id("journey-def-order_status").fill("{not json")
    await page.get_by_test_id("journey-save-order_status").click()
    await expect(page.get_by_test_id("admin-error")).to_have_text("Определение — не JSON")
