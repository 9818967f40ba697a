"""With the worker on (as in production), an offer created through the API goes out by itself."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import update

from devkit.fakes.sms import FakeSmsRu
from devkit.fakes.telegram import FakeTelegram
from devkit.fakes.viber import FakeViber
from prilavok.bot import api_keys
from prilavok.bot.clock import SystemClock
from prilavok.storage.models import Customer
from tests.bot.conftest import SHOP, Env, offers_settings
from tests.conftest import Server


async def test_the_worker_in_the_server_sends_without_being_asked(
    db_url: str, tmp_path: Path
) -> None:
    tg = FakeTelegram("123456:TEST-token_for_fake", SystemClock())
    viber, sms = FakeViber("v"), FakeSmsRu("s")
    for fake in (tg, viber, sms):
        await fake.start()
    # Night hours off: this test runs on the real clock, whatever the hour.
    settings = offers_settings(
        db_url, tmp_path, tg, viber, sms, offers_quiet_from_hour=0, offers_quiet_to_hour=0
    )
    settings.offers_worker = True
    server = Server(settings)
    await server.start()
    try:
        key = await api_keys.create(server.deps, SHOP)
        env = Env(server, None, tg, viber, sms, key)  # type: ignore[arg-type]
        await env.product()
        (c,) = await env.customers({"name": "Иван", "phone": "+79123456789"})
        async with server.deps.write() as session:
            await session.execute(
                update(Customer)
                .where(Customer.id == c["id"])
                .values(consent_telegram=True, telegram_chat_id=777)
            )
        await env.offer()
        await asyncio.wait_for(tg.wait_sent(1), 15)
        (msg,) = tg.offers_to(777)
        assert msg["text"].startswith("Иван, для вас Чехол!")
    finally:
        await server.stop()
        for fake in (tg, viber, sms):
            await fake.stop()
