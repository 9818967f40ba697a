"""Console sessions in real Chromium: log-out in one tab ends the session in every tab
of that browser; too many wrong passwords show the wait."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.clients import PASSWORD, add_operator
from tests.conftest import Server
from tests.conftest import test_settings as settings_for
from tests.e2e.conftest import new_page

pytestmark = pytest.mark.e2e


@pytest.fixture
async def srv(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Server]:
    server = Server(settings_for(sqlite_url, tmp_path, limit_login_failures="3/minute"))
    await server.start()
    await add_operator(server.deps, "anna")
    yield server
    await server.stop()


async def submit(page: Page, password: str) -> None:
    await page.get_by_test_id("login-name").fill("anna")
    await page.get_by_test_id("login-password").fill(password)
    await page.get_by_test_id("login-submit").click()


async def test_log_out_in_one_tab_ends_the_session_in_the_others(
    browser: Browser, srv: Server
) -> None:
    context, first = await new_page(browser)
    await first.goto(f"{srv.url}/console")
    await submit(first, PASSWORD)
    await expect(first.locator("body[data-ready='1']")).to_have_count(1)
    second = await context.new_page()  # the same browser: the same cookie
    await second.goto(f"{srv.url}/console")
    await expect(second.locator("body[data-ready='1']")).to_have_count(1)

    await first.get_by_test_id("logout").click()
    await expect(first.get_by_test_id("login-form")).to_be_visible()
    # The server closed the other tab's socket; its reconnect is refused as logged out.
    await expect(second.get_by_test_id("login-form")).to_be_visible()
    await expect(second.get_by_test_id("login-error")).to_contain_text("Сессия истекла")


async def test_too_many_wrong_passwords_show_the_wait(browser: Browser, srv: Server) -> None:
    _, page = await new_page(browser)
    await page.goto(f"{srv.url}/console")
    error = page.get_by_test_id("login-error")
    for _ in range(3):
        await submit(page, "wrong password")
        await expect(error).to_have_text("Неверный логин или пароль")
        await page.evaluate("document.querySelector('[data-testid=login-error]').hidden = true")
    await submit(page, PASSWORD)  # the right one, too late
    await expect(error).to_have_text(
        re.compile(r"^Слишком много попыток — повторите через (\d\d с|1 мин)$")
    )
    await expect(page.get_by_test_id("me-name")).to_be_hidden()
