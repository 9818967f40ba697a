"""The YML catalog feed: uploaded or fetched by URL on a schedule, streamed in flat memory,
tested on a generated feed of 100,000 offers."""

from __future__ import annotations

import tracemalloc
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

from devkit.ports import free_port
from prilavok.bot.web import FEEDS
from prilavok.bot.yml_feed import FeedReader
from prilavok.storage.models import Product
from tests.bot.conftest import SHOP, Env

N = 100_000


def feed(n: int, price_shift: int = 0) -> Iterator[bytes]:
    """A YML feed of n offers, produced piece by piece (never whole in memory)."""
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n<yml_catalog date="2026-11-23 12:00">'
        '<shop><name>Shop</name><currencies><currency id="RUR" rate="1"/></currencies>'
        '<categories><category id="1">Телефоны</category>'
        '<category id="2" parentId="1">Чехлы</category></categories><offers>'
    ).encode()
    part = []
    for i in range(n):
        available = "false" if i % 10 == 9 else "true"
        part.append(
            f'<offer id="sku-{i}" available="{available}"><name>Товар №{i} &amp; Ко</name>'
            f"<price>{1000 + i + price_shift}</price><oldprice>{2000 + i}</oldprice>"
            f"<currencyId>RUR</currencyId><categoryId>{1 + i % 2}</categoryId>"
            f"<picture>https://shop.example/p/{i}.jpg</picture>"
            f"<url>https://shop.example/p/{i}</url><description>Описание {i}</description></offer>"
        )
        if len(part) == 500:
            yield "".join(part).encode()
            part = []
    yield "".join(part).encode() + b"</offers></shop></yml_catalog>"


async def chunks(n: int, price_shift: int = 0) -> AsyncIterator[bytes]:
    for piece in feed(n, price_shift):
        yield piece


# 100,000 offers take a core for a minute (under tracemalloc here): alone, well inside the time-out.
@pytest.mark.serial
def test_the_reader_streams_in_flat_memory() -> None:
    reader, total, size = FeedReader(), 0, 0
    tracemalloc.start()
    for piece in feed(N):
        size += len(piece)
        reader.feed(piece)
        total += len(reader.take())
    reader.close()
    total += len(reader.take())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert total == N and size > 25_000_000
    assert peak < 8_000_000, peak  # a fraction of the feed: offers are dropped once read


@pytest.mark.serial
async def test_a_feed_of_100000_offers_uploaded(env: Env) -> None:
    headers = {"Authorization": f"Bearer {env.key}", "Content-Type": "application/xml"}
    async with aiohttp.ClientSession() as http:
        r = await http.post(f"{env.url}/api/v1/catalog/yml", data=chunks(N), headers=headers)
        assert r.status == 200, await r.text()
        assert (await r.json())["imported"] == {
            "offers": N, "created": N, "updated": 0, "skipped": 0
        }  # fmt: skip
        # Again with new prices for the first thousand: updates, nothing new.
        r = await http.post(f"{env.url}/api/v1/catalog/yml", data=chunks(1000, 5), headers=headers)
        assert (await r.json())["imported"]["updated"] == 1000
        broken = b"<yml_catalog><shop><offers><offer id='1'><name>x</name></offers>"
        r = await http.post(f"{env.url}/api/v1/catalog/yml", data=broken, headers=headers)
        assert r.status == 400 and (await r.json())["error"]["code"] == "invalid_feed"
    async with env.server.deps.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(Product))
        p7 = await session.scalar(select(Product).where(Product.sku == "sku-7"))
        p9 = await session.scalar(select(Product).where(Product.sku == "sku-99999"))
    assert count == N
    assert p7 is not None and p9 is not None
    assert (p7.title, p7.price, p7.old_price) == ("Товар №7 & Ко", Decimal("1012"), Decimal("2007"))
    assert (p7.category, p7.stock, p7.shop_id) == ("Чехлы", 1, SHOP)
    assert (p7.photo_url, p7.product_url) == (
        "https://shop.example/p/7.jpg",
        "https://shop.example/p/7",
    )
    assert (p9.stock, p9.category) == (0, "Чехлы")  # available="false"


async def test_a_feed_by_url_on_a_schedule(env: Env) -> None:
    served = {"n": 0}

    async def serve(request: web.Request) -> web.StreamResponse:
        served["n"] += 1
        out = web.StreamResponse(headers={"Content-Type": "application/xml"})
        await out.prepare(request)
        for piece in feed(50, price_shift=served["n"]):
            await out.write(piece)
        await out.write_eof()
        return out

    app = web.Application()
    app.router.add_get("/feed.yml", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        url = f"http://127.0.0.1:{port}/feed.yml"
        body = {"url": url, "every_minutes": 60}
        status, data = await env.call("PUT", "/api/v1/catalog/yml-source", body)
        assert status == 200, data
        bad = await env.call("PUT", "/api/v1/catalog/yml-source", {"url": "file:///etc/passwd"})
        assert bad[0] == 400
        feeds = env.server.app[FEEDS]
        assert await feeds.run_once() == 1
        assert await feeds.run_once() == 0  # not due again for an hour
        env.clock.advance(minutes=61)
        assert await feeds.run_once() == 1
        assert served["n"] == 2
        async with env.server.deps.sessions() as session:
            p0 = await session.scalar(select(Product).where(Product.sku == "sku-0"))
        assert p0 is not None and p0.price == Decimal("1002")  # the second fetch's price
    finally:
        await runner.cleanup()
