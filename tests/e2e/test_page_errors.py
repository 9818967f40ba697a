"""The check every browser test ends with: an uncaught error in any page it opened fails it."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from tests.e2e.conftest import _ERRORS, new_page

pytestmark = pytest.mark.e2e

THROW = "setTimeout(() => { throw new Error('boom in tab two') }, 0)"


async def test_an_error_in_a_tab_the_test_opened_itself_is_recorded(browser: Browser) -> None:
    context, first = await new_page(browser)
    second = await context.new_page()  # not through new_page(): a second tab, as a test opens it
    async with second.expect_event("pageerror"):
        await second.evaluate(THROW)
    assert any("boom in tab two" in e for e in second.js_errors)  # type: ignore[attr-defined]
    assert first.js_errors == []  # type: ignore[attr-defined]
    recorded = _ERRORS[id(browser)]
    assert any("boom in tab two" in e for e in recorded)
    recorded.clear()  # recorded where the fixture looks: clear it, or this test would fail there
