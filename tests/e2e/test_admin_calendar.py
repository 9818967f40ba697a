"""/admin/calendar in a browser: an admin adds a rule (an accessory by the device's price
band), sees it listed with its report, sets the period, turns the rule off; a rule the
server refuses (an accessory without its category) is refused next to the form."""

from __future__ import annotations

import asyncio

from playwright.async_api import Browser, Route, expect
from sqlalchemy import select

from prilavok.storage.models import CalendarRule, ShopSetting
from tests.clients import add_operator
from tests.conftest import Server
from tests.e2e.conftest import console_login, new_page


async def test_an_admin_sets_up_the_offer_calendar(browser: Browser, sqlite_server: Server) -> None:
    await add_operator(sqlite_server.deps, "boss", role="admin")
    _, page = await new_page(browser)
    await console_login(page, sqlite_server.url, "boss")
    await page.goto(f"{sqlite_server.url}/admin/calendar")
    await expect(page.get_by_test_id("calendar-rules")).to_contain_text("Правил пока нет")
    form = page.get_by_test_id("calendar-rule-form")
    await form.locator("[name=shop_id]").fill("shop-1")
    await form.locator("[name=name]").fill("Чехол к недорогому смартфону")
    await form.locator("[name=category]").fill("phones")
    await form.locator("[name=price_max]").fill("20000")
    await form.locator("[name=delay_days]").fill("30")
    await form.locator("[name=template]").fill("{{ customer.first_name }}, {{ product.title }}")
    await page.get_by_test_id("calendar-rule-add").click()  # no accessory category yet
    await expect(page.get_by_test_id("admin-error")).to_have_attribute(
        "data-code", "invalid_payload"
    )
    await form.locator("[name=offer_category]").fill("cases")
    await page.get_by_test_id("calendar-rule-add").click()
    listed = page.get_by_test_id("calendar-rules")
    await expect(listed).to_contain_text("Чехол к недорогому смартфону (shop-1)")
    async with sqlite_server.deps.sessions() as session:
        (rule,) = await session.scalars(select(CalendarRule))
    card = page.get_by_test_id(f"calendar-rule-{rule.id}")
    await expect(card).to_contain_text("После покупки в «phones» (0 … 20000 ₽) через 30 дн.")
    await expect(card).to_contain_text("Запланировано: 0")
    assert (rule.kind, rule.offer_category, float(rule.price_max or 0)) == (
        "accessory",
        "cases",
        20000,
    )

    period = page.get_by_test_id("calendar-period-form")
    await period.locator("[name=shop_id]").fill("shop-1")
    await period.locator("[name=period_days]").fill("45")
    await period.locator("button").click()
    await expect(period.locator("button")).to_have_text("Сохранено")
    await page.get_by_test_id(f"calendar-toggle-{rule.id}").click()
    await expect(page.get_by_test_id(f"calendar-rule-{rule.id}")).to_contain_text("выключено")
    async with sqlite_server.deps.sessions() as session:
        setting = await session.get(ShopSetting, "calendar:shop-1")
        off = await session.get(CalendarRule, rule.id)
    assert setting is not None and setting.value == {"period_days": 45}
    assert off is not None and off.enabled is False


async def test_a_reload_that_comes_back_late_does_not_draw_over_a_newer_one(
    browser: Browser, sqlite_server: Server
) -> None:
    """The period's save reloads the rules; its answer is held back until after the toggle's
    own reload has drawn the rule off. The late answer (the rule still on) is not drawn."""
    await add_operator(sqlite_server.deps, "boss", role="admin")
    async with sqlite_server.deps.sessions() as session:
        rule = CalendarRule(
            shop_id="shop-1",
            name="Чехол",
            kind="accessory",
            category="phones",
            offer_category="cases",
            delay_days=30,
            template="{{ product.title }}",
        )
        session.add(rule)
        await session.commit()
    _, page = await new_page(browser)
    await console_login(page, sqlite_server.url, "boss")
    await page.goto(f"{sqlite_server.url}/admin/calendar")
    card = page.get_by_test_id(f"calendar-rule-{rule.id}")
    await expect(card).to_contain_text("Выключить")

    late = asyncio.Event()
    release = asyncio.Event()

    async def hold(route: Route) -> None:
        answer = await route.fetch()  # the rule as it is now: still on
        await release.wait()
        await route.fulfill(response=answer)
        late.set()

    await page.route("**/admin/api/calendar/rules", hold, times=1)
    period = page.get_by_test_id("calendar-period-form")
    await period.locator("[name=shop_id]").fill("shop-1")
    await period.locator("[name=period_days]").fill("45")
    await period.locator("button").click()
    await expect(period.locator("button")).to_have_text("Сохранено")  # its reload is held
    await page.get_by_test_id(f"calendar-toggle-{rule.id}").click()
    await expect(card).to_contain_text("выключено")
    release.set()
    await late.wait()
    # The late answer reaches the page; give its draw every chance to happen.
    await page.evaluate("() => new Promise((r) => setTimeout(r, 300))")
    await expect(card).to_contain_text("выключено")
    await expect(page.get_by_test_id(f"calendar-toggle-{rule.id}")).to_have_text("Включить")
