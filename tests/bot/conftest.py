"""An app wired to fake Telegram, Viber and SMS.ru servers, on a clock the test moves.

The worker does not run by itself here: tests call `env.drain()` so that every step is
deterministic; the unread window, night hours and retry_after all follow the fake clock.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from devkit.fakes.clock import FakeClock
from devkit.fakes.sms import FakeSmsRu
from devkit.fakes.telegram import FakeTelegram, update_message
from devkit.fakes.viber import FakeViber, event, post_callback, user
from prilavok.app import create_app
from prilavok.bot import api_keys
from prilavok.bot.context import Offers
from prilavok.bot.web import OFFERS, WORKER
from prilavok.bot.worker import DeliveryWorker
from prilavok.storage.models import Customer, Delivery
from tests.conftest import Server, test_settings

TG_TOKEN = "123456:TEST-token_for_fake"
TG_SECRET = "webhook-secret-1"
VIBER_TOKEN = "445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9"
SMS_KEY = "SMSRU-API-ID"
SMS_SECRET = "sms-callback-secret"
SHOP = "shop-1"


class ClockedServer(Server):
    def __init__(self, settings: Any, clock: FakeClock) -> None:
        super().__init__(settings)
        self.clock = clock

    async def start(self) -> None:
        from aiohttp import web

        app = create_app(self.settings, clock=self.clock)
        self.runner = web.AppRunner(app, shutdown_timeout=1)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        self.app = app


class Env:
    def __init__(self, server: ClockedServer, clock: FakeClock, tg: FakeTelegram,
                 viber: FakeViber, sms: FakeSmsRu, key: str) -> None:  # fmt: skip
        self.server, self.clock, self.tg, self.viber, self.sms = server, clock, tg, viber, sms
        self.key = key
        self.url = server.url
        self._update_id = 0

    @property
    def ctx(self) -> Offers:
        return self.server.app[OFFERS]

    @property
    def worker(self) -> DeliveryWorker:
        return self.server.app[WORKER]

    async def drain(self) -> None:
        await self.worker.drain()

    async def call(
        self, method: str, path: str, body: Any = None, key: str | None = None
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {key if key is not None else self.key}"}
        async with aiohttp.ClientSession() as http:
            r = await http.request(method, self.url + path, json=body, headers=headers)
            return r.status, await r.json(content_type=None)

    async def customers(self, *items: dict[str, Any]) -> list[dict[str, Any]]:
        status, data = await self.call("POST", "/api/v1/customers", {"customers": list(items)})
        assert status == 200, data
        return data["customers"]

    async def product(self, sku: str = "case-1", stock: int = 5, **extra: Any) -> None:
        item = {"sku": sku, "title": extra.pop("title", "Чехол"), "stock": stock, **extra}
        status, data = await self.call("POST", "/api/v1/catalog", {"products": [item]})
        assert status == 200, data

    async def offer(self, sku: str = "case-1", **extra: Any) -> int:
        body = {
            "title": extra.pop("title", "Чехол к телефону"),
            "sku": sku,
            "template": extra.pop(
                "template", "{{ customer.first_name }}, для вас {{ product.title }}!"
            ),
            **extra,
        }
        status, data = await self.call("POST", "/api/v1/offers", body)
        assert status == 201, data
        return data["offer"]["id"]

    async def telegram_update(self, update: dict[str, Any], secret: str | None = TG_SECRET) -> int:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        async with aiohttp.ClientSession() as http:
            r = await http.post(f"{self.url}/bot/telegram/webhook", json=update, headers=headers)
            await r.read()
            return r.status

    def next_update_id(self) -> int:
        self._update_id += 1
        return self._update_id

    async def link_telegram(self, customer: dict[str, Any], chat_id: int) -> None:
        token = customer["telegram_link"].split("start=")[1]
        update = update_message(self.next_update_id(), chat_id, f"/start {token}")
        assert await self.telegram_update(update) == 200

    async def viber_callback(self, body: dict[str, Any], signature: str | None = "sign") -> int:
        r = await post_callback(f"{self.url}/bot/viber/webhook", VIBER_TOKEN, body, signature)
        return r.status

    async def link_viber(
        self, customer: dict[str, Any], user_id: str, *, subscribed: bool = True
    ) -> dict[str, Any]:
        """Opens the bot's chat from the customer's link; `subscribed`: one who has subscribed
        to the bot before. Returns our answer (the welcome message)."""
        token = customer["viber_link"].split("context=")[1]
        body = event(
            "conversation_started",
            type="open",
            context=token,
            user=user(user_id),
            subscribed=subscribed,
        )
        if subscribed:
            self.viber.subscribed.add(user_id)
        r = await post_callback(f"{self.url}/bot/viber/webhook", VIBER_TOKEN, body)
        assert r.status == 200
        return await r.json()

    async def viber_subscribe(self, user_id: str) -> None:
        """The user presses "subscribe" in the bot's chat."""
        self.viber.subscribed.add(user_id)
        assert await self.viber_callback(event("subscribed", user=user(user_id))) == 200

    async def customer(self, customer_id: int) -> Customer:
        async with self.server.deps.sessions() as session:
            found = await session.get(Customer, customer_id)
            assert found is not None
            return found

    async def deliveries(self, **where: Any) -> list[Delivery]:
        async with self.server.deps.sessions() as session:
            query = select(Delivery).order_by(Delivery.id)
            for key, value in where.items():
                query = query.where(getattr(Delivery, key) == value)
            return list(await session.scalars(query))


BROWSER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
_CSRF = re.compile(r'data-csrf="([0-9a-f]+)"')


class Visitor:
    """A person's browser on personal pages, over HTTP: it keeps the page's cookie and posts
    the token, and `seen` is the beacon the page's script sends when it is shown."""

    def __init__(self, base: str, agent: str = BROWSER_AGENT) -> None:
        self.base = base
        # unsafe: cookies from 127.0.0.1 (aiohttp ignores cookies of IP hosts otherwise).
        self.http = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True), headers={"User-Agent": agent}
        )
        self.csrf = ""

    async def __aenter__(self) -> Visitor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.close()

    async def open(self, d: Delivery) -> str:
        async with self.http.get(f"{self.base}/m/{d.slug}-{d.code}") as r:
            assert r.status == 200, r.status
            html = await r.text()
        found = _CSRF.search(html)
        assert found, "no CSRF token in the page"
        self.csrf = found[1]
        return html

    async def post(self, d: Delivery, action: str, **form: str) -> aiohttp.ClientResponse:
        data = {"csrf": self.csrf, **form}
        async with self.http.post(
            f"{self.base}/m/{d.code}/{action}", data=data, allow_redirects=False
        ) as r:
            await r.read()
            return r

    async def read(self, d: Delivery) -> None:
        """Opens the page and sends the beacon, as a browser showing it does."""
        await self.open(d)
        assert (await self.post(d, "seen")).status == 204


def offers_settings(db_url: str, tmp_path: Path, tg: FakeTelegram, viber: FakeViber,
                    sms: FakeSmsRu, **extra: Any) -> Any:  # fmt: skip
    return test_settings(
        db_url,
        tmp_path,
        offers_worker=False,
        telegram_token=TG_TOKEN,
        telegram_api_base=tg.url,
        telegram_webhook_secret=TG_SECRET,
        telegram_bot_username="shop_offers_bot",
        telegram_staff_chat_id=-1001,
        viber_token=VIBER_TOKEN,
        viber_api_base=viber.url,
        viber_chat_uri="shopoffers",
        sms_api_key=SMS_KEY,
        sms_api_base=sms.url,
        sms_callback_secret=SMS_SECRET,
        public_url="https://shop.example",
        **extra,
    )


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeClock, FakeTelegram, FakeViber, FakeSmsRu]]:
    clock = FakeClock()
    tg, viber, sms = FakeTelegram(TG_TOKEN, clock), FakeViber(VIBER_TOKEN), FakeSmsRu(SMS_KEY)
    for fake in (tg, viber, sms):
        await fake.start()
    yield clock, tg, viber, sms
    for fake in (tg, viber, sms):
        await fake.stop()


WIDGET_SECRET = "widget-shop-secret"


@pytest.fixture
async def env(db_url: str, tmp_path: Path, fakes: Any) -> AsyncIterator[Env]:
    async for one in _env(db_url, tmp_path, fakes):
        yield one


@pytest.fixture
async def shop_env(db_url: str, tmp_path: Path, fakes: Any) -> AsyncIterator[Env]:
    """The same, with the widget signing identities and feeding the shop's events."""
    extra = {"shop_secret": WIDGET_SECRET, "widget_shop_id": SHOP}
    async for one in _env(db_url, tmp_path, fakes, **extra):
        yield one


async def _env(db_url: str, tmp_path: Path, fakes: Any, **extra: Any) -> AsyncIterator[Env]:
    clock, tg, viber, sms = fakes
    server = ClockedServer(offers_settings(db_url, tmp_path, tg, viber, sms, **extra), clock)
    await server.start()
    tg.resolve["https://shop.example"] = server.url  # where the fake fetches link previews
    key = await api_keys.create(server.deps, SHOP)
    yield Env(server, clock, tg, viber, sms, key)
    await server.stop()
