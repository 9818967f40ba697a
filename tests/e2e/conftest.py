"""Headless Debian Chromium driven by Playwright (never Playwright's own browser download)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    async_playwright,
    expect,
)

from tests.clients import PASSWORD

# Generous: a busy two-core machine runs the server, Chromium and the test side by side.
expect.set_options(timeout=10_000)


CHROMIUM = os.environ.get("PRILAVOK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


# Uncaught errors of every page a test opened, by browser: a test fails on any of them.
_ERRORS: dict[int, list[str]] = {}


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        errors = _ERRORS.setdefault(id(b), [])
        try:
            yield b
        finally:
            await b.close()
            _ERRORS.pop(id(b), None)
        assert errors == [], f"JavaScript errors in the page: {errors}"


def watch(browser: Browser, page: Page) -> None:
    """Records the page's uncaught errors, and its CSP refusals, in `page.js_errors`."""
    if hasattr(page, "js_errors"):
        return
    errors: list[str] = []

    def on_error(exc: Exception) -> None:
        errors.append(str(exc))
        _ERRORS.setdefault(id(browser), []).append(f"{page.url}: {exc}")

    page.on("pageerror", on_error)

    def on_console(message: ConsoleMessage) -> None:
        # A Content-Security-Policy refusal is no exception, only a console line: count it.
        if "Content Security Policy" in message.text:
            on_error(Exception(message.text))

    page.on("console", on_console)
    page.js_errors = errors  # type: ignore[attr-defined]


async def new_page(browser: Browser, **kw: object) -> tuple[BrowserContext, Page]:
    """A fresh context and its first page; every page the context opens later (a second tab,
    a popup) is watched too, so no page of a test escapes the error check."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, **kw)
    context.set_default_timeout(10_000)
    context.on("page", lambda page: watch(browser, page))
    page = await context.new_page()
    watch(browser, page)
    return context, page


async def console_login(page: Page, base: str, name: str, password: str = PASSWORD) -> None:
    """Signs in on the operators' console, as admins do too before their pages."""
    await page.goto(f"{base}/console")
    await page.get_by_test_id("login-name").fill(name)
    await page.get_by_test_id("login-password").fill(password)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("me-name")).to_be_visible()
