"""The widget's three honest states — online, busy, offline — and messages left while offline."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from playwright.async_api import Browser, Page, expect

from prilavok.consult.chat import hours
from prilavok.storage.models import Conversation, Visitor, utcnow
from tests.clients import add_operator, cid, visitor
from tests.conftest import Server
from tests.e2e.conftest import new_page
from tests.e2e.test_chat_flow import open_console, visitor_says

MOSCOW = "Europe/Moscow"


async def history(server: Server, first_reply: int, length: int) -> None:
    """One finished chat: its operator answered after `first_reply` s, it lasted `length` s."""
    at = utcnow() - timedelta(hours=1)
    async with server.deps.write() as s:
        v = Visitor()
        s.add(v)
        await s.flush()
        s.add(
            Conversation(
                visitor_id=v.id,
                status="closed",
                created_at=at,
                queued_at=at,
                assigned_at=at,
                first_response_at=at + timedelta(seconds=first_reply),
                closed_at=at + timedelta(seconds=length),
            )
        )


async def shop_panel(browser: Browser, server: Server, **kw: object) -> Page:
    _, page = await new_page(browser, **kw)
    await page.goto(f"{server.url}/shop/index.html")
    await page.get_by_test_id("prilavok-launcher").click()
    await expect(page.get_by_test_id("prilavok-connection")).to_be_hidden()
    return page


async def test_online_promises_the_usual_reply_time(server: Server, browser: Browser) -> None:
    await history(server, first_reply=90, length=600)
    await add_operator(server.deps, "anna", name="Анна")
    await open_console(browser, server, "anna")
    shop = await shop_panel(browser, server)
    line = shop.get_by_test_id("prilavok-availability")
    await expect(line).to_have_attribute("data-kind", "online")
    await expect(line).to_have_text("Операторы на связи, ответим примерно за 2 мин")
    await expect(shop.get_by_test_id("prilavok-callback-link")).to_be_hidden()


async def test_busy_shows_the_wait_then_the_place_and_its_wait(
    server: Server, browser: Browser
) -> None:
    await history(server, first_reply=30, length=600)
    await add_operator(server.deps, "anna", name="Анна", capacity=1)
    console = await open_console(browser, server, "anna")
    shop = await shop_panel(browser, server)
    line = shop.get_by_test_id("prilavok-availability")
    await expect(line).to_have_attribute("data-kind", "online")

    # Someone else takes Anna's only place: the open widget is told, no reload.
    other = await visitor(server.url)
    await other.call("message", {"client_id": cid(), "text": "Занимаю место"})
    await expect(line).to_have_attribute("data-kind", "busy")
    await expect(line).to_have_text("Все операторы заняты, ожидание около 10 мин")

    await visitor_says(shop, "А я подожду")
    queue = shop.get_by_test_id("prilavok-queue")
    await expect(queue).to_have_text(
        "Все операторы заняты. Ваше место в очереди: 1, ожидание около 10 мин"
    )
    await expect(line).to_be_hidden()
    # The console keeps its queue from deltas: the waiting chat is there, numbered.
    await expect(console.get_by_test_id("queue-position")).to_have_text("1")
    await other.close()


async def test_offline_offers_a_message_or_a_call_and_says_when_the_shop_answers(
    server: Server, browser: Browser
) -> None:
    # Open tomorrow only (shop time): closed now, the next opening tomorrow at 09:00.
    tomorrow = utcnow().astimezone(ZoneInfo(MOSCOW)) + timedelta(days=1)
    async with server.deps.write() as s:
        days = {hours.DAYS[tomorrow.weekday()]: ["09:00", "18:00"]}
        await hours.save(s, hours.parse({"timezone": MOSCOW, "days": days}))
    await add_operator(server.deps, "anna", name="Анна")

    shop = await shop_panel(browser, server, timezone_id=MOSCOW)
    line = shop.get_by_test_id("prilavok-availability")
    await expect(line).to_have_attribute("data-kind", "offline")
    await expect(line).to_have_text(
        "Сейчас никого нет. Оставьте сообщение или закажите звонок — ответим завтра с 09:00"
    )
    await expect(shop.get_by_test_id("prilavok-callback-link")).to_be_visible()
    await expect(shop.get_by_test_id("prilavok-greeting")).to_have_text(
        "Здравствуйте! Сейчас никого нет на месте — напишите, мы прочитаем и ответим."
    )

    # A message left now is a message left, never a place in a queue.
    await visitor_says(shop, "Нужна консультация по доставке")
    left = shop.get_by_test_id("prilavok-queue")
    await expect(left).to_have_attribute("data-kind", "left")
    await expect(left).to_have_text("Сообщение оставлено — ответим завтра с 09:00")
    await expect(shop.get_by_test_id("prilavok-panel")).not_to_contain_text("очеред")

    # The operator who comes sees it marked as left while nobody was there.
    console = await open_console(browser, server, "anna")
    await expect(console.get_by_test_id("left-offline")).to_have_text(
        "оставлено, пока никого не было"
    )
