"""Proactive help on the sample shop, timed by Playwright's clock, checked against the server."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select, update

from prilavok.storage.models import Operator, ProactiveRule
from tests.clients import PASSWORD, add_operator, cid, login, operator, visitor
from tests.conftest import Server
from tests.e2e.conftest import console_login, new_page
from tests.seed import expected_check_diff, expected_rate_diff, seed_uplift

CART_RULE = "Корзина: 20 секунд без движения"


async def cart_rule(server: Server) -> int:
    """The shipped cart rule, without its control group so that the visitor is always treated."""
    async with server.deps.write() as s:
        rule_id = await s.scalar(select(ProactiveRule.id).where(ProactiveRule.name == CART_RULE))
        await s.execute(update(ProactiveRule).values(holdout_percent=0))
    assert rule_id
    return rule_id


async def cart_page(browser: Browser, server: Server, path: str = "/shop/cart.html") -> Page:
    """A shop page under a paused fake clock, the widget connected."""
    _, page = await new_page(browser)
    await page.clock.install()
    await page.goto(f"{server.url}{path}")
    await expect(page.get_by_test_id("prilavok-launcher")).to_be_visible()
    # Connected: the widget has its session (rules included) before the clock stops.
    await expect(page.get_by_test_id("prilavok-connection")).to_be_hidden()
    await page.wait_for_timeout(300)
    now_ms = await page.evaluate("Date.now()")
    # A number would be read as seconds: a datetime says exactly when to stop.
    await page.clock.pause_at(datetime.fromtimestamp((now_ms + 500) / 1000, tz=UTC))
    # The visitor moves the mouse at the stopped moment: idleness counts from exactly here.
    await page.mouse.move(200, 300)
    await page.mouse.move(220, 310)
    return page


async def run(page: Page, ms: int) -> None:
    await page.clock.run_for(ms)


async def test_cart_idle_invitation_comes_at_the_configured_second_and_only_once(
    server: Server, browser: Browser
) -> None:
    await cart_rule(server)
    await add_operator(server.deps, "anna", name="Анна")
    console = await operator(server.url, await login(server.url, "anna"))

    page = await cart_page(browser, server)
    invitation = page.get_by_test_id("prilavok-invitation")
    await run(page, 19_900)
    await page.wait_for_timeout(500)  # time for a (wrong) decision to come back
    await expect(invitation).to_be_hidden()
    await run(page, 600)
    await expect(invitation).to_be_visible()
    await expect(page.get_by_test_id("prilavok-invitation-text")).to_have_text(
        "Здравствуйте, помочь с заказом?"
    )
    await expect(page.get_by_test_id("prilavok-invitation-operator")).to_contain_text("Анна")

    # Not twice in a visit: the same page again, the same idleness, nothing.
    await page.reload()
    await expect(page.get_by_test_id("prilavok-connection")).to_be_hidden()
    await run(page, 25_000)
    await page.wait_for_timeout(500)
    await expect(invitation).to_be_hidden()
    await console.close()


async def test_no_invitation_after_a_dismissal(server: Server, browser: Browser) -> None:
    await cart_rule(server)
    async with server.deps.write() as s:
        await s.execute(update(ProactiveRule).values(holdout_percent=0))
    await add_operator(server.deps, "anna")
    console = await operator(server.url, await login(server.url, "anna"))
    page = await cart_page(browser, server)
    await run(page, 20_000)
    invitation = page.get_by_test_id("prilavok-invitation")
    await expect(invitation).to_be_visible()
    await page.get_by_test_id("prilavok-invitation-close").click()
    await expect(invitation).to_be_hidden()
    # The 50-second rule would come next; after a dismissal nothing comes in this visit.
    await run(page, 40_000)
    await page.wait_for_timeout(500)
    await expect(invitation).to_be_hidden()
    await console.close()


async def test_no_invitation_while_chatting(server: Server, browser: Browser) -> None:
    await cart_rule(server)
    await add_operator(server.deps, "anna")
    console = await operator(server.url, await login(server.url, "anna"))
    page = await cart_page(browser, server)
    await page.get_by_test_id("prilavok-launcher").click()
    await page.get_by_test_id("prilavok-input").fill("Уже спрашиваю")
    await page.get_by_test_id("prilavok-input").press("Enter")
    await expect(
        page.get_by_test_id("prilavok-message").filter(has_text="Уже спрашиваю")
    ).to_have_attribute("data-status", re.compile("sent|delivered|read"))
    await page.get_by_test_id("prilavok-close").click()
    await run(page, 25_000)
    await page.wait_for_timeout(500)
    await expect(page.get_by_test_id("prilavok-invitation")).to_be_hidden()
    await console.close()


async def test_when_every_operator_is_full_the_call_back_form_comes_instead(
    server: Server, browser: Browser
) -> None:
    await cart_rule(server)
    await add_operator(server.deps, "anna", capacity=1)
    console = await operator(server.url, await login(server.url, "anna"))
    busy = await visitor(server.url)
    await busy.call("message", {"client_id": cid(), "text": "занимаю единственное место"})

    page = await cart_page(browser, server)
    await run(page, 21_000)
    await expect(page.get_by_test_id("prilavok-callback-form")).to_be_visible()
    await expect(page.get_by_test_id("prilavok-invitation")).to_be_hidden()
    await console.close()
    await busy.close()


async def test_an_admins_new_delay_reaches_a_page_already_open(
    server: Server, browser: Browser
) -> None:
    rule_id = await cart_rule(server)
    await add_operator(server.deps, "boss", role="admin")
    await add_operator(server.deps, "anna")
    console = await operator(server.url, await login(server.url, "anna"))
    page = await cart_page(browser, server)

    _, admin = await new_page(browser)
    await console_login(admin, server.url, "boss")
    await admin.goto(f"{server.url}/admin")
    row = admin.locator(f'[data-testid="rule-row"][data-id="{rule_id}"]')
    await row.get_by_test_id("rule-edit").click()
    seconds = admin.get_by_test_id("rule-form").get_by_test_id("condition-seconds")
    await expect(seconds).to_have_value("20")
    await seconds.fill("5")
    await admin.get_by_test_id("rule-save").click()
    await expect(admin.get_by_test_id("rule-saved")).to_be_visible()
    async with server.deps.sessions() as s:
        saved = await s.get(ProactiveRule, rule_id)
    assert saved.conditions["items"][0]["seconds"] == 5

    invitation = page.get_by_test_id("prilavok-invitation")
    await page.wait_for_timeout(500)  # the pushed rules arrive over the open socket
    await run(page, 4_000)
    await page.wait_for_timeout(500)
    await expect(invitation).to_be_hidden()
    await run(page, 1_500)
    await expect(invitation).to_be_visible()
    await console.close()


async def test_with_nobody_online_the_call_back_request_reaches_the_console(
    server: Server, browser: Browser
) -> None:
    await cart_rule(server)
    await add_operator(server.deps, "anna")
    _, console = await new_page(browser)
    await console.goto(f"{server.url}/console")
    await console.get_by_test_id("login-name").fill("anna")
    await console.get_by_test_id("login-password").fill(PASSWORD)
    await console.get_by_test_id("login-submit").click()
    await expect(console.locator("body[data-ready='1']")).to_have_count(1)
    await console.get_by_test_id("status-select").select_option("away")
    await expect(console.get_by_test_id("status-select")).to_have_value("away")
    async with server.deps.sessions() as s:
        for _ in range(50):
            if (await s.scalar(select(Operator.status))) == "away":
                break
            await asyncio.sleep(0.1)
            s.expire_all()
        assert (await s.scalar(select(Operator.status))) == "away"

    page = await cart_page(browser, server)
    await run(page, 21_000)
    form = page.get_by_test_id("prilavok-callback-form")
    await expect(form).to_be_visible()
    await form.get_by_test_id("prilavok-callback-name").fill("Мария <b>")
    await form.get_by_test_id("prilavok-callback-phone").fill("12")
    await form.get_by_test_id("prilavok-callback-submit").click()
    await expect(page.get_by_test_id("prilavok-callback-error")).to_be_visible()
    await form.get_by_test_id("prilavok-callback-phone").fill("+7 912 345-67-89")
    await form.get_by_test_id("prilavok-callback-time").select_option(index=2)
    await form.get_by_test_id("prilavok-callback-submit").click()
    await expect(page.get_by_test_id("prilavok-callback-done")).to_be_visible()

    task = console.get_by_test_id("task-item")
    await expect(task).to_have_count(1)
    await expect(task.get_by_test_id("task-name")).to_have_text("Мария <b>")
    await expect(task.get_by_test_id("task-phone")).to_contain_text("+79123456789")
    await task.get_by_test_id("task-take").click()
    await expect(task.get_by_test_id("task-done")).to_be_visible()
    await task.get_by_test_id("task-done").click()
    await expect(console.get_by_test_id("task-item")).to_have_count(0)


@pytest.mark.parametrize("metric", ["rate", "check"])
async def test_uplift_on_the_stats_page_matches_the_tests_own_computation(
    sqlite_server: Server, browser: Browser, metric: str
) -> None:
    anna = await add_operator(sqlite_server.deps, "boss", role="admin")
    seeded = await seed_uplift(sqlite_server.deps, anna)
    _, page = await new_page(browser)
    await console_login(page, sqlite_server.url, "boss")
    await page.goto(f"{sqlite_server.url}/admin/stats?from=2026-11-01&to=2026-11-30")
    row = page.locator(f'[data-testid="uplift-row"][data-rule-id="{seeded["rule_id"]}"]')
    await expect(row).to_be_visible()
    t, c = seeded["treated"], seeded["control"]
    expected = expected_rate_diff(t, c) if metric == "rate" else expected_check_diff(t, c)
    for cell, want in zip(("diff", "low", "high"), expected, strict=True):
        raw = await row.get_by_test_id(f"uplift-{metric}-{cell}").get_attribute("data-value")
        assert float(raw) == pytest.approx(want, rel=1e-4, abs=1e-6), cell
    shown = page.get_by_test_id("stat-invitations-shown")
    await expect(shown).to_contain_text("96")
