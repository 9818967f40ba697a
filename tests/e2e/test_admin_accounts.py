"""The admin in real Chromium: its own log-in page, deactivating an operator whose
console is open, API keys, the audit log, and /admin/offers' empty state and money."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.async_api import Browser, Page, expect

from prilavok.consult.kernel import audit, logins
from prilavok.storage.models import Customer, Delivery, Offer, ShopOrder, utcnow
from tests.clients import PASSWORD, add_operator
from tests.conftest import Server
from tests.e2e.conftest import console_login, new_page

pytestmark = pytest.mark.e2e


async def admin_login(page: Page, server: Server, path: str = "/admin", who: str = "boss") -> None:
    await page.goto(f"{server.url}{path}")
    await expect(page).to_have_url(re.compile(r"/admin/login\?next="))
    await page.get_by_test_id("admin-login-name").fill(who)
    await page.get_by_test_id("admin-login-password").fill(PASSWORD)
    await page.get_by_test_id("admin-login-submit").click()


async def test_the_admin_log_in_page(browser: Browser, sqlite_server: Server) -> None:
    boss = await add_operator(sqlite_server.deps, "boss", role="admin")
    await add_operator(sqlite_server.deps, "anna")
    _, page = await new_page(browser)
    # An operator is told this is not for them, and stays on the log-in page.
    await admin_login(page, sqlite_server, "/admin/stats", who="anna")
    error = page.get_by_test_id("admin-login-error")
    await expect(error).to_contain_text("не администратора")
    await expect(page).to_have_url(re.compile(r"/admin/login"))
    # The admin comes back to the page that sent them here.
    await page.get_by_test_id("admin-login-name").fill("boss")
    await page.get_by_test_id("admin-login-password").fill(PASSWORD)
    await page.get_by_test_id("admin-login-submit").click()
    await expect(page).to_have_url(re.compile(rf"{sqlite_server.url}/admin/stats(\?|$)"))
    await expect(page.get_by_test_id("stats-apply")).to_be_visible()
    # Log-out goes back to the log-in page.
    await page.get_by_test_id("admin-logout").click()
    await expect(page.get_by_test_id("admin-login-form")).to_be_visible()
    await page.goto(f"{sqlite_server.url}/admin")
    await expect(page).to_have_url(re.compile(r"/admin/login\?next=/admin$"))

    # A session that ends elsewhere sends the open page to the log-in page at its next call.
    await page.get_by_test_id("admin-login-name").fill("boss")
    await page.get_by_test_id("admin-login-password").fill(PASSWORD)
    await page.get_by_test_id("admin-login-submit").click()
    await expect(page.get_by_test_id("rule-row").first).to_be_visible()
    await logins.end_all(sqlite_server.deps, boss.id)
    await page.get_by_test_id("admin-nav-operators").click()
    await expect(page).to_have_url(re.compile(r"/admin/login\?next="))

    # An operator logged in to the console is told the admin is not theirs.
    _, console = await new_page(browser)
    await console_login(console, sqlite_server.url, "anna")
    await console.goto(f"{sqlite_server.url}/admin")
    await expect(console.get_by_test_id("admin-denied")).to_contain_text("anna")
    await expect(console.get_by_test_id("admin-denied-logout")).to_be_visible()


async def test_deactivating_an_operator_logs_their_open_console_out(
    browser: Browser, sqlite_server: Server
) -> None:
    await add_operator(sqlite_server.deps, "boss", role="admin")
    await add_operator(sqlite_server.deps, "anna")
    _, console = await new_page(browser)
    await console.goto(f"{sqlite_server.url}/console")
    await console.get_by_test_id("login-name").fill("anna")
    await console.get_by_test_id("login-password").fill(PASSWORD)
    await console.get_by_test_id("login-submit").click()
    await expect(console.locator("body[data-ready='1']")).to_have_count(1)

    _, page = await new_page(browser)
    await admin_login(page, sqlite_server, "/admin#operators")
    row = page.locator("[data-testid=operator-row][data-login=anna]")
    await expect(row.get_by_test_id("operator-status")).to_have_text("в сети")
    page.once("dialog", lambda d: d.accept())
    await row.get_by_test_id("operator-deactivate").click()
    await expect(row.get_by_test_id("operator-status")).to_have_text("отключён")
    await expect(row).to_have_attribute("data-active", "false")

    # Her console is logged out, and she cannot log in again.
    await expect(console.get_by_test_id("login-form")).to_be_visible()
    await console.get_by_test_id("login-name").fill("anna")
    await console.get_by_test_id("login-password").fill(PASSWORD)
    await console.get_by_test_id("login-submit").click()
    await expect(console.get_by_test_id("login-error")).to_contain_text("отключена")

    # Activated, she can; a new password from the admin is the one that works.
    await row.get_by_test_id("operator-activate").click()
    await expect(row.get_by_test_id("operator-status")).to_have_text("не в сети")
    await row.get_by_test_id("operator-password").click()
    await page.get_by_test_id("operator-new-password-input").fill("from the admin 4")
    await page.get_by_test_id("operator-password-save").click()
    await expect(page.get_by_test_id("operator-password-done")).to_be_visible()
    await console.get_by_test_id("login-password").fill("from the admin 4")
    await console.get_by_test_id("login-submit").click()
    await expect(console.locator("body[data-ready='1']")).to_have_count(1)


async def test_api_keys_created_copied_and_revoked(browser: Browser, sqlite_server: Server) -> None:
    await add_operator(sqlite_server.deps, "boss", role="admin")
    context, page = await new_page(browser)
    await context.grant_permissions(["clipboard-read", "clipboard-write"])
    await admin_login(page, sqlite_server, "/admin/keys")
    await expect(page.get_by_test_id("keys-empty")).to_be_visible()
    await page.get_by_test_id("key-shop").fill("shop-1")
    await page.get_by_test_id("key-name").fill("обмен с 1С")
    await page.get_by_test_id("key-create").click()
    await expect(page.get_by_test_id("key-value")).to_have_text(re.compile(r"^pk_"))
    key = await page.get_by_test_id("key-value").text_content()
    assert key and key.startswith("pk_")
    await page.get_by_test_id("key-copy").click()
    await expect(page.get_by_test_id("key-copied")).to_be_visible()
    assert await page.evaluate("navigator.clipboard.readText()") == key

    row = page.get_by_test_id("key-row")
    await expect(row).to_have_count(1)
    await expect(row.get_by_test_id("key-row-name")).to_have_text("обмен с 1С")
    await expect(row.get_by_test_id("key-row-prefix")).to_have_text(f"{key[:10]}…")
    await expect(row.get_by_test_id("key-row-used")).to_have_text("не использовался")
    # The key is shown once: a reload lists only its prefix.
    await page.reload()
    await expect(page.get_by_test_id("key-row")).to_have_count(1)
    assert key not in await page.content()

    # Revoking asks first; declined, nothing changes.
    page.once("dialog", lambda d: d.dismiss())
    await row.get_by_test_id("key-revoke").click()
    await expect(row.get_by_test_id("key-row-state")).to_have_text("действует")
    page.once("dialog", lambda d: d.accept())
    await row.get_by_test_id("key-revoke").click()
    await expect(row.get_by_test_id("key-row-state")).to_contain_text("отозван")
    await expect(row.get_by_test_id("key-revoke")).to_have_count(0)


async def test_the_audit_page_is_newest_first_and_paged(
    browser: Browser, sqlite_server: Server
) -> None:
    await add_operator(sqlite_server.deps, "boss", role="admin")
    async with sqlite_server.deps.write() as session:
        for i in range(105):
            audit.record(session, "boss", "rule.change", f"rule:{i}", f"change {i}")
        audit.record(session, audit.CLI, "operator.deactivate", "operator:anna")
    _, page = await new_page(browser)
    await admin_login(page, sqlite_server, "/admin/audit")
    rows = page.get_by_test_id("audit-row")
    await expect(rows).to_have_count(100)
    first = rows.first
    await expect(first.get_by_test_id("audit-action")).to_have_text("отключил оператора")
    await expect(first.get_by_test_id("audit-actor")).to_have_text("командная строка")
    await expect(rows.nth(1).get_by_test_id("audit-target")).to_have_text("rule:104")
    await page.get_by_test_id("audit-more").click()
    await expect(rows).to_have_count(106)
    await expect(rows.last.get_by_test_id("audit-target")).to_have_text("rule:0")
    await expect(page.get_by_test_id("audit-more")).to_be_hidden()


async def test_offers_page_empty_state_and_money(browser: Browser, sqlite_server: Server) -> None:
    await add_operator(sqlite_server.deps, "boss", role="admin")
    _, page = await new_page(browser)
    await admin_login(page, sqlite_server, "/admin/offers")
    await expect(page.get_by_test_id("offers-empty")).to_be_visible()
    await expect(page.get_by_test_id("offers-report")).to_be_hidden()
    # The same navigation and design tokens as the rest of the admin.
    await expect(page.get_by_test_id("admin-link-offers")).to_have_attribute("aria-current", "page")
    await expect(page.get_by_test_id("offers-apply")).to_have_css(
        "background-color", "rgb(47, 111, 237)"
    )
    await expect(page.get_by_test_id("offers-period")).to_contain_text(re.compile(r"\d{4} г\."))

    now = utcnow()
    async with sqlite_server.deps.write() as session:
        customer = Customer(shop_id="s1", name="Мария", phone="+79123456789", link_token="t1")
        offer = Offer(shop_id="s1", title="Чехол", sku="case", template="Привет")
        session.add_all([customer, offer])
        await session.flush()
        sent = {"state": "sent", "channel": "sms", "sent_at": now}
        session.add(
            Delivery(offer_id=offer.id, customer_id=customer.id, code="c1", slug="c", **sent)
        )
        session.add(ShopOrder(shop_id="s1", order_ref="A-1", code="c1", revenue=Decimal("1234")))
    await page.get_by_test_id("offers-apply").click()
    await expect(page.get_by_test_id("offers-row")).to_have_count(1)
    await expect(page.get_by_test_id("offers-empty")).to_be_hidden()
    revenue = page.get_by_test_id("offers-row").get_by_test_id("offers-revenue")
    # Intl's ru-RU groups with a no-break space and writes «1 234,00 ₽».
    await expect(revenue).to_have_text("1\u00a0234,00\u00a0₽")
    total = page.get_by_test_id("offers-total").get_by_test_id("offers-revenue")
    await expect(total).to_have_text("1\u00a0234,00\u00a0₽")
