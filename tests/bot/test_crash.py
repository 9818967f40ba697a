"""A real server process killed with SIGKILL mid-campaign: after a restart every customer gets
the offer, and at most the one message in flight goes twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import aiohttp
from sqlalchemy import update

from devkit.fakes.telegram import FakeTelegram
from devkit.processes import ServerProcess
from prilavok.bot import api_keys
from prilavok.bot.clock import SystemClock
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.notifier import RecordingNotifier
from prilavok.storage.db import create_engine, migrate, sessionmaker
from prilavok.storage.models import Customer
from tests.bot.conftest import SHOP, TG_TOKEN
from tests.conftest import reset_pg

N = 300


async def test_sigkill_mid_campaign_then_restart(pg_database: str, tmp_path: Path) -> None:
    # PostgreSQL only: it is the database several processes share (the in-process restart
    # test in test_delivery.py covers both backends).
    await reset_pg()
    db_url = pg_database
    tg = FakeTelegram(TG_TOKEN, SystemClock())
    await tg.start()
    engine = create_engine(db_url)
    await migrate(engine)
    key = await api_keys.create(Deps(sessionmaker(engine), RecordingNotifier()), SHOP)

    env = {
        "PRILAVOK_DATABASE_URL": db_url,
        "PRILAVOK_DATA_DIR": str(tmp_path),
        "PRILAVOK_SECRET_KEY": "crash-test",
        "PRILAVOK_TELEGRAM_TOKEN": TG_TOKEN,
        "PRILAVOK_TELEGRAM_API_BASE": tg.url,
        "PRILAVOK_TELEGRAM_PER_SECOND": "5000",
        "PRILAVOK_OFFERS_LEASE_SECONDS": "3",
        # Night hours off: the real clock is whatever it is.
        "PRILAVOK_OFFERS_QUIET_FROM_HOUR": "0",
        "PRILAVOK_OFFERS_QUIET_TO_HOUR": "0",
    }
    srv = ServerProcess.prilavok(tmp_path / "server.log", env)
    await srv.start()
    try:
        headers = {"Authorization": f"Bearer {key}"}
        async with aiohttp.ClientSession(headers=headers) as http:
            item = {"sku": "case-1", "title": "Чехол", "stock": 5}
            r = await http.post(f"{srv.url}/api/v1/catalog", json={"products": [item]})
            assert r.status == 200
            people = [{"name": f"Покупатель {i}", "phone": f"+7912{i:07d}"} for i in range(N)]
            r = await http.post(f"{srv.url}/api/v1/customers", json={"customers": people})
            ids = [c["id"] for c in (await r.json())["customers"]]
            async with sessionmaker(engine).begin() as session:
                await session.execute(
                    update(Customer)
                    .where(Customer.id.in_(ids))
                    .values(consent_telegram=True, telegram_chat_id=Customer.id + 10_000)
                )
            offer = {"title": "Чехол", "sku": "case-1", "template": "{{ customer.name }}"}
            r = await http.post(f"{srv.url}/api/v1/offers", json=offer)
            assert r.status == 201

        await asyncio.wait_for(tg.wait_sent(N // 3), 30)
        srv.kill()
        assert len(tg.sent) < N
        await srv.start()
        await asyncio.wait_for(tg.wait_sent(N), 60)
        await asyncio.sleep(0.5)  # anything extra would arrive now
    finally:
        srv.stop()
        await engine.dispose()
        await tg.stop()

    per_chat = Counter(m["chat_id"] for m in tg.sent)
    assert set(per_chat) == {i + 10_000 for i in ids}
    assert sum(per_chat.values()) - N <= 1
