"""A visitor on the sample shop and an operator in the console, in real Chromium."""

from __future__ import annotations

import re

from playwright.async_api import Browser, Page, expect
from sqlalchemy import func, select

from prilavok.storage.models import Message
from tests.clients import add_hot_reply, add_operator, cid, visitor
from tests.conftest import Server
from tests.e2e.conftest import console_login, new_page

ACKED = re.compile(r"^(sent|delivered|read)$")


async def open_console(browser: Browser, server: Server, login: str) -> Page:
    _, page = await new_page(browser)
    await console_login(page, server.url, login)
    # The console's socket is in: the operator counts as present from here on.
    await expect(page.locator("body[data-ready='1']")).to_have_count(1)
    return page


async def open_shop(browser: Browser, server: Server, path: str = "/shop/cart.html") -> Page:
    _, page = await new_page(browser)
    await page.goto(f"{server.url}{path}")
    await page.get_by_test_id("prilavok-launcher").click()
    await expect(page.get_by_test_id("prilavok-panel")).to_be_visible()
    return page


async def visitor_says(shop: Page, text: str) -> None:
    box = shop.get_by_test_id("prilavok-input")
    await box.fill(text)
    await box.press("Enter")


def bubble(page: Page, text: str, testid: str = "prilavok-message"):
    return page.get_by_test_id(testid).filter(has_text=text)


async def test_visitor_writes_operator_answers_with_a_hot_reply_and_history_survives_reload(
    server: Server, browser: Browser
) -> None:
    await add_operator(server.deps, "anna", name="Анна")
    await add_hot_reply(
        server.deps, "hi", "Здравствуйте, {visitor.name|друг}! Меня зовут {operator.name}."
    )
    await add_hot_reply(server.deps, "bye", "Всего доброго!")
    console = await open_console(browser, server, "anna")
    await expect(console.get_by_test_id("me-name")).to_have_text("Анна")

    shop = await open_shop(browser, server)
    question = "Подскажите, подойдёт ли чехол к «Неве 12»?"
    await visitor_says(shop, question)
    mine = bubble(shop, question)
    await expect(mine).to_have_attribute("data-status", ACKED)

    # The chat appears in the console with its unread count; the side panel shows the cart.
    item = console.get_by_test_id("chat-item")
    await expect(item).to_have_count(1)
    await expect(item.get_by_test_id("unread-badge")).to_have_text("1")
    await item.click()
    pane = console.get_by_test_id("pane")
    await expect(pane.get_by_test_id("message-text")).to_have_text(question)
    await expect(console.get_by_test_id("ctx-current-url")).to_contain_text("/shop/cart.html")
    await expect(console.get_by_test_id("ctx-page")).to_have_count(1)
    await expect(console.get_by_test_id("ctx-visits")).to_contain_text("1")
    # The operator has read it: the visitor sees the read mark.
    await expect(mine).to_have_attribute("data-status", "read")

    # "/" and a shortcut offer matching replies; Enter inserts, a second Enter sends.
    box = pane.get_by_test_id("pane-input")
    await box.press_sequentially("/h")
    popup = console.get_by_test_id("hot-popup")
    await expect(popup).to_be_visible()
    await expect(popup.get_by_test_id("hot-item")).to_have_count(1)
    await expect(popup.get_by_test_id("hot-item")).to_have_attribute("data-shortcut", "hi")
    await box.press("Enter")
    answer = "Здравствуйте, друг! Меня зовут Анна."
    await expect(box).to_have_value(answer)
    await box.press("Enter")
    await expect(box).to_have_value("")

    await expect(bubble(shop, answer)).to_be_visible()
    await expect(bubble(shop, answer)).to_have_attribute("data-author", "operator")
    sent = pane.get_by_test_id("message").filter(has_text=answer)
    await expect(sent).to_have_attribute("data-status", "read")

    # A reload brings the whole history back.
    await shop.reload()
    await shop.get_by_test_id("prilavok-launcher").click()
    texts = shop.get_by_test_id("prilavok-message").get_by_test_id("prilavok-text")
    await expect(texts).to_have_text([question, answer])
    assert shop.js_errors == [] and console.js_errors == []  # type: ignore[attr-defined]


async def test_a_fifth_chat_to_a_full_operator_waits_with_its_place_shown(
    server: Server, browser: Browser
) -> None:
    await add_operator(server.deps, "anna", name="Анна", capacity=4)
    console = await open_console(browser, server, "anna")
    others = [await visitor(server.url) for _ in range(4)]
    for v in others:
        ack = await v.call("message", {"client_id": cid(), "text": "Здравствуйте"})
        assert ack["conversation"]["status"] == "active"
    await expect(console.get_by_test_id("chat-item")).to_have_count(4)

    shop = await open_shop(browser, server, "/shop/index.html")
    await visitor_says(shop, "А я пятый")
    queue_line = shop.get_by_test_id("prilavok-queue")
    await expect(queue_line).to_be_visible()
    await expect(queue_line).to_contain_text("1")
    queued = console.get_by_test_id("queue-item")
    await expect(queued).to_have_count(1)
    await expect(queued.get_by_test_id("queue-position")).to_contain_text("1")
    await expect(console.get_by_test_id("chat-item")).to_have_count(4)

    # The operator takes it from the queue; the visitor sees who answers.
    await queued.get_by_test_id("take-button").click()
    await expect(console.get_by_test_id("queue-item")).to_have_count(0)
    await expect(console.get_by_test_id("chat-item")).to_have_count(5)
    await expect(shop.get_by_test_id("prilavok-operator")).to_contain_text("Анна")
    await expect(queue_line).to_be_hidden()
    for v in others:
        await v.close()


async def test_markup_is_shown_as_text_on_both_sides(server: Server, browser: Browser) -> None:
    await add_operator(server.deps, "anna")
    console = await open_console(browser, server, "anna")
    shop = await open_shop(browser, server)
    evil = '<img src=x onerror="window.__pwned=1"><b>жирный</b>'
    await visitor_says(shop, evil)
    await console.get_by_test_id("chat-item").click()
    pane = console.get_by_test_id("pane")
    await expect(pane.get_by_test_id("message-text")).to_have_text(evil)
    await expect(pane.get_by_test_id("message-text").locator("*")).to_have_count(0)

    reply = "<script>window.__pwned=2</script><i>курсив</i>"
    box = pane.get_by_test_id("pane-input")
    await box.fill(reply)
    await box.press("Enter")
    await expect(bubble(shop, "курсив").get_by_test_id("prilavok-text")).to_have_text(reply)
    assert await shop.evaluate("window.__pwned") is None
    assert await console.evaluate("window.__pwned") is None
    assert (
        await shop.evaluate(
            "document.querySelector('#prilavok-widget').shadowRoot"
            ".querySelectorAll('[data-testid=prilavok-text] *').length"
        )
        == 0
    )


async def test_console_announces_new_chats_with_sound_and_title(
    server: Server, browser: Browser
) -> None:
    await add_operator(server.deps, "anna")
    console = await open_console(browser, server, "anna")
    before = int(await console.evaluate("document.body.dataset.soundCount || '0'"))
    v = await visitor(server.url)
    await v.call("message", {"client_id": cid(), "text": "Есть кто?"})
    await expect(console.get_by_test_id("chat-item")).to_have_count(1)
    await expect(console).to_have_title(re.compile(r"^\(1\)"))
    after = int(await console.evaluate("document.body.dataset.soundCount || '0'"))
    assert after > before
    await v.close()


async def test_widget_is_isolated_from_the_shops_css(sqlite_server: Server, browser: Browser):
    shop = await open_shop(browser, sqlite_server)
    launcher = shop.get_by_test_id("prilavok-launcher")
    style = await launcher.evaluate(
        "el => { const s = getComputedStyle(el);"
        " return [s.textTransform, s.borderRadius, s.fontFamily] }"
    )
    # The shop forces uppercase, square buttons and Georgia on every button; not on ours.
    assert style[0] == "none"
    assert style[1] != "0px"
    assert "Georgia" not in style[2]
    # And the widget's styles do not reach the shop's own buttons.
    shop_button = await shop.evaluate(
        "getComputedStyle(document.querySelector('body > * button, main button, button'))"
        ".textTransform"
    )
    assert shop_button == "uppercase"


async def test_messages_typed_while_the_server_is_down_are_sent_once(
    sqlite_server: Server, browser: Browser
) -> None:
    shop = await open_shop(browser, sqlite_server)
    await visitor_says(shop, "до обрыва")
    await expect(bubble(shop, "до обрыва")).to_have_attribute("data-status", "sent")

    await sqlite_server.stop()
    await expect(shop.get_by_test_id("prilavok-connection")).to_be_visible()
    await visitor_says(shop, "пока сервера нет")
    pending = bubble(shop, "пока сервера нет")
    await expect(pending).to_have_attribute("data-status", "pending")

    await sqlite_server.start()
    await expect(pending).to_have_attribute("data-status", "sent", timeout=20_000)
    await expect(shop.get_by_test_id("prilavok-connection")).to_be_hidden()
    async with sqlite_server.deps.sessions() as s:
        n = await s.scalar(
            select(func.count()).select_from(Message).where(Message.text == "пока сервера нет")
        )
    assert n == 1
    await shop.reload()
    await shop.get_by_test_id("prilavok-launcher").click()
    texts = shop.get_by_test_id("prilavok-message").get_by_test_id("prilavok-text")
    await expect(texts).to_have_text(["до обрыва", "пока сервера нет"])
