"""Link previews are not reads: messengers, mail scanners and antivirus link checkers fetch
every link they see; only a person seeing the page (its beacon) or pressing a button counts."""

from __future__ import annotations

import aiohttp
import pytest
from sqlalchemy import func, select

from devkit.fakes.telegram import PREVIEW_AGENT
from prilavok.storage.models import Delivery, OfferEvent
from tests.bot.conftest import BROWSER_AGENT, Env, Visitor
from tests.bot.test_fallback import linked_customer, one_offer_unread

ROBOTS = [
    PREVIEW_AGENT,
    "Viber",
    "Mozilla/5.0 (compatible; vkShare; +http://vk.com/dev/Share)",
    "WhatsApp/2.23.20.0 A",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.4266; Pro)",
    "Kaspersky URL Advisor",
    "python-requests/2.31.0",
    "",
]


async def test_telegram_sends_without_previews_and_its_preview_fetch_is_no_read(env: Env) -> None:
    await env.product()
    cid = await linked_customer(env, chat_id=6001, viber_id="vb-6001")

    await one_offer_unread(env)
    (first,) = env.tg.offers_to(6001)
    assert first["link_preview_options"] == {"is_disabled": True}
    assert env.tg.previews == []  # disabled: Telegram fetches nothing

    # Some robot fetches the link anyway (as Telegram would with previews on): still unread.
    env.tg.preview_always = True
    for _ in range(2):
        await one_offer_unread(env)
    fetched = env.tg.previews
    assert len(fetched) == 2 and all(status == 200 for _, status in fetched)
    assert all("/m/ivan-petrov-" in url for url, _ in fetched)

    customer = await env.customer(cid)
    assert customer.channel == "viber"  # three unread: the fallback fired
    assert [d.state for d in await env.deliveries(channel="telegram")] == ["unread"] * 3
    assert all(d.clicked_at is None for d in await env.deliveries())


async def test_head_and_known_robots_never_open_click_or_read(env: Env) -> None:
    await env.product()
    await env.customers({"name": "Иван", "phone": "+79123456789", "consent": {"sms": True}})
    await env.offer()
    await env.drain()
    (d,) = await env.deliveries()
    url = f"{env.url}/m/{d.slug}-{d.code}"
    async with aiohttp.ClientSession() as http:
        for agent in ROBOTS:
            for method in ("GET", "HEAD"):
                r = await http.request(method, url, headers={"User-Agent": agent})
                assert r.status == 200, (agent, method)
        r = await http.head(url, headers={"User-Agent": BROWSER_AGENT})
        assert r.status == 200
    # Robots that run the page's script too (headless browsers) send the beacon in vain.
    for agent in (PREVIEW_AGENT, "Mozilla/5.0 (X11) AppleWebKit/537.36 HeadlessChrome/124.0"):
        async with Visitor(env.url, agent=agent) as robot:
            await robot.open(d)
            assert (await robot.post(d, "seen")).status == 204

    (after,) = await env.deliveries()
    assert (after.state, after.clicked_at, after.read_at) == ("sent", None, None)
    async with env.server.deps.sessions() as session:
        opens = await session.scalar(
            select(func.count()).select_from(OfferEvent).where(OfferEvent.kind == "open")
        )
    assert opens == 0
    env.clock.advance(hours=25)
    await env.drain()
    assert (await env.deliveries())[0].state == "unread"


@pytest.mark.parametrize("token", ["none", "wrong", "no_cookie"])
async def test_the_beacon_counts_only_with_the_page_token(env: Env, token: str) -> None:
    await env.product()
    await env.customers({"name": "Иван", "phone": "+79123456789", "consent": {"sms": True}})
    await env.offer()
    await env.drain()
    (d,) = await env.deliveries()
    async with Visitor(env.url) as person:
        await person.open(d)
        if token == "none":
            person.csrf = ""
        elif token == "wrong":
            person.csrf = "0" * 64
        else:
            person.http.cookie_jar.clear()
        assert (await person.post(d, "seen")).status == 403
        async with env.server.deps.sessions() as session:
            assert (await session.get(Delivery, d.id)).read_at is None  # type: ignore[union-attr]
        await person.read(d)  # the real thing counts
    (after,) = await env.deliveries()
    assert after.state == "read" and after.clicked_at is not None
