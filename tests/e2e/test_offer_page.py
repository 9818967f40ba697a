"""A person opening the personal page in a real browser counts as a read and a click (the page's
own script sends the beacon); its forms work with their CSRF tokens."""

from __future__ import annotations

import asyncio

from playwright.async_api import Browser, expect

from tests.bot import conftest as offers
from tests.bot.conftest import BROWSER_AGENT, Env
from tests.e2e.conftest import new_page

# The offers environment (fake Telegram, Viber, SMS.ru on a fake clock) of tests/bot.
env, fakes = offers.env, offers.fakes


async def wait_for(check, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds * 20)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("not in time")


async def test_a_person_opening_the_page_in_a_browser_reads_it(env: Env, browser: Browser) -> None:
    await env.product(title="Чехол «Нева»")
    await env.customers(
        {"name": "Мария Иванова", "phone": "+79123456767", "consent": {"sms": True}}
    )
    await env.offer()
    await env.drain()
    (d,) = await env.deliveries()
    assert d.state == "sent" and d.read_at is None

    # A real browser, as a person has it (headless Chromium names itself a robot).
    _, page = await new_page(browser, user_agent=BROWSER_AGENT)
    response = await page.goto(f"{env.url}/m/{d.slug}-{d.code}")
    assert response is not None and response.headers["x-robots-tag"].startswith("noindex")
    await expect(page.locator("h1")).to_have_text("Чехол «Нева»")
    await expect(page.locator('meta[name="robots"]')).to_have_attribute(
        "content", "noindex, nofollow"
    )
    body = await page.locator("body").inner_text()
    assert "Мария" in body and "Иванова" not in body
    assert "+7 *** ***-**-67" in body and "9123456767" not in await page.content()

    async def read() -> bool:
        (row,) = await env.deliveries()
        return row.state == "read" and row.clicked_at is not None

    await wait_for(read)

    # "Remind me later", twice: one reminder.
    for _ in range(2):
        await page.get_by_role("button", name="Напомнить позже").click()
        await expect(page.locator(".note")).to_contain_text("напомним")
    rows = await env.deliveries()
    assert [(r.attempt, r.state) for r in rows] == [(1, "read"), (2, "scheduled")]


async def test_a_page_opened_in_a_hidden_tab_counts_once_it_is_shown(
    env: Env, browser: Browser
) -> None:
    await env.product()
    await env.customers({"name": "Мария", "phone": "+79123456767", "consent": {"sms": True}})
    await env.offer()
    await env.drain()
    (d,) = await env.deliveries()
    context, page = await new_page(browser, user_agent=BROWSER_AGENT)
    # As a tab opened in the background: hidden until the person switches to it.
    await context.add_init_script(
        "window.__shown = false; Object.defineProperty(document, 'visibilityState',"
        " {get: () => (window.__shown ? 'visible' : 'hidden')});"
    )
    await page.goto(f"{env.url}/m/{d.slug}-{d.code}")
    await expect(page.locator("h1")).to_have_count(1)
    await asyncio.sleep(1.0)
    assert (await env.deliveries())[0].state == "sent"

    await page.evaluate(
        "window.__shown = true; document.dispatchEvent(new Event('visibilitychange'))"
    )

    async def read() -> bool:
        return (await env.deliveries())[0].state == "read"

    await wait_for(read)
