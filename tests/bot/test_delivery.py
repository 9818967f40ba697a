"""The worker: a restart mid-campaign loses nothing, a 429 is waited out, two workers never
share a row, and channel limits and night hours hold."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update

from devkit.fakes.viber import event, user
from prilavok.bot.worker import DeliveryWorker
from prilavok.storage.models import Customer
from tests.bot.conftest import ClockedServer, Env


async def telegram_customers(env: Env, n: int, first_chat: int = 100_000) -> list[int]:
    """n customers with Telegram linked (set directly: linking is tested elsewhere)."""
    items = [{"name": f"Покупатель {i}", "phone": f"+7912{i:07d}"} for i in range(n)]
    ids = [c["id"] for c in await env.customers(*items)]
    async with env.server.deps.write() as session:
        await session.execute(
            update(Customer)
            .where(Customer.id.in_(ids))
            .values(consent_telegram=True, telegram_chat_id=Customer.id + first_chat)
        )
    return [i + first_chat for i in ids]


async def drain_all(env: Env, worker: DeliveryWorker | None = None, step: float = 5) -> None:
    """Passes, moving the clock on while rows are waiting (retry_after, back-off)."""
    worker = worker or env.worker
    for _ in range(200):
        await worker.drain()
        if not await env.deliveries(state="scheduled"):
            return
        env.clock.advance(seconds=step)
    raise AssertionError("deliveries still scheduled")


async def rows_of_missing(env: Env, chats: list[int], first_chat: int = 100_000) -> list[Any]:
    """The rows of the chats that got nothing: what a failure needs to say where they stopped."""
    missing = set(chats) - {m["chat_id"] for m in env.tg.sent}
    return [
        (d.id, d.state, d.reason, d.note, d.tries, d.lease_owner, d.lease_until, env.clock.now())
        for d in await env.deliveries()
        if d.customer_id + first_chat in missing
    ]


async def test_a_restart_mid_campaign_delivers_each_offer_once(
    env: Env, db_url: str, tmp_path
) -> None:
    await env.product()
    chats = await telegram_customers(env, 1000)
    await env.offer()

    # The first process sends part of the campaign, then dies without any cleanup.
    first = DeliveryWorker(env.ctx, "node-crashing")
    running = asyncio.create_task(first.run())
    await asyncio.wait_for(env.tg.wait_sent(400), 60)
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    assert len(env.tg.sent) < 1000
    await env.server.stop()

    # A new process on the same database takes the rest, including the expired claims.
    restarted = ClockedServer(env.server.settings, env.clock)
    restarted.port, restarted.url = env.server.port, env.server.url
    await restarted.start()
    env.server = restarted
    env.clock.advance(minutes=6)  # past the dead process's lease
    await drain_all(env)

    per_chat = Counter(m["chat_id"] for m in env.tg.sent)
    assert not (lost := await rows_of_missing(env, chats)), lost
    assert set(per_chat) == set(chats)
    repeated = [chat for chat, n in per_chat.items() if n > 1]
    assert len(repeated) <= 1 and all(per_chat[c] == 2 for c in repeated)
    assert Counter(d.state for d in await env.deliveries()) == {"sent": 1000}


async def test_a_burst_that_meets_a_429_waits_and_loses_nothing(env: Env) -> None:
    await env.product()
    chats = await telegram_customers(env, 60)
    env.tg.flood_on = {5, 6, 31}
    env.tg.retry_after = 7
    await env.offer()
    await drain_all(env)

    assert not (lost := await rows_of_missing(env, chats)), lost
    assert Counter(m["chat_id"] for m in env.tg.sent) == Counter(chats)
    assert env.tg.calls == 63
    assert env.tg.violations == []  # nothing arrived inside a retry_after window
    assert any(s >= 6.9 for s in env.clock.slept)
    assert Counter(d.state for d in await env.deliveries()) == {"sent": 60}


async def test_overall_and_per_chat_pace_is_kept(env: Env) -> None:
    await env.product()
    await telegram_customers(env, 90)
    start = env.clock.now()
    await env.offer()
    await env.offer()  # two offers: every chat gets two messages
    await drain_all(env)
    assert len(env.tg.sent) == 180
    assert env.tg.violations == []  # never two messages to a chat within a second
    # 180 messages at 30 a second take about six seconds.
    assert (env.clock.now() - start).total_seconds() >= 178 / 30


async def test_two_workers_never_share_a_row(env: Env) -> None:
    await env.product()
    chats = await telegram_customers(env, 200)
    env.ctx.config.telegram_per_chat_seconds = 0
    await env.offer()
    a, b = DeliveryWorker(env.ctx, "node-a"), DeliveryWorker(env.ctx, "node-b")
    waited = []  # rows put back to wait (a retry), printed should the test fail
    for _ in range(200):
        await asyncio.gather(a.drain(), b.drain())
        if not (scheduled := await env.deliveries(state="scheduled")):
            break
        waited += [(d.id, d.reason, d.note, d.tries) for d in scheduled]
        env.clock.advance(seconds=5)
    print("waited:", waited)
    assert not (lost := await rows_of_missing(env, chats)), (lost, waited)
    assert sorted(m["chat_id"] for m in env.tg.sent) == sorted(chats)


async def test_no_offers_at_night_in_the_customers_time_zone(env: Env) -> None:
    await env.product()
    await env.customers(
        {"name": "Анна", "phone": "+79120000001", "consent": {"sms": True}},
        {
            "name": "Пётр",
            "phone": "+79120000002",
            "timezone": "Asia/Vladivostok",
            "consent": {"sms": True},
        },
    )
    env.clock.t = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # 15:00 Moscow, 22:00 Vladivostok
    await env.offer()
    await env.drain()
    assert [m["to"] for m in env.sms.sent] == ["79120000001"]
    waiting = (await env.deliveries(state="scheduled"))[0]
    assert waiting.reason == "quiet_hours"
    assert waiting.not_before == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)  # 10:00 there

    env.clock.t = datetime(2026, 11, 23, 23, 59, tzinfo=UTC)
    await env.drain()
    assert len(env.sms.sent) == 1
    env.clock.t = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    await env.drain()
    assert [m["to"] for m in env.sms.sent] == ["79120000001", "79120000002"]


async def test_viber_keeps_to_its_hourly_limit_until_the_user_replies(env: Env) -> None:
    await env.product()
    (c,) = await env.customers({"name": "Вера", "phone": "+79120000003"})
    await env.link_viber(c, "vb-vera")
    env.ctx.config.viber_per_user_hour = 2
    env.clock.advance(hours=2)  # linking counts as a reply; let it age
    for _ in range(3):
        await env.offer()
    await env.drain()
    assert len(env.viber.messages_to("vb-vera")) == 2
    (held,) = await env.deliveries(state="scheduled")
    assert held.reason == "viber_hourly_limit"

    reply = event(
        "message",
        sender=user("vb-vera"),
        message={"type": "text", "text": "Спасибо"},
    )
    assert await env.viber_callback(reply) == 200
    await env.drain()
    assert len(env.viber.messages_to("vb-vera")) == 3


async def test_at_telegrams_own_limit_nothing_is_refused(env: Env) -> None:
    await env.product()
    chats = await telegram_customers(env, 100)
    env.tg.per_second = 30  # the fake now refuses a 31st message within any one second
    await env.offer()
    await drain_all(env)
    assert env.tg.rate_limited == 0
    assert not (lost := await rows_of_missing(env, chats)), lost
    assert Counter(m["chat_id"] for m in env.tg.sent) == Counter(chats)
    assert Counter(d.state for d in await env.deliveries()) == {"sent": 100}


async def test_a_stricter_limit_is_waited_out_and_loses_nothing(env: Env) -> None:
    await env.product()
    chats = await telegram_customers(env, 60)
    env.tg.per_second = 10  # Telegram asks for less than the configured 30 a second
    await env.offer()
    await drain_all(env)
    assert env.tg.rate_limited > 0
    assert env.tg.violations == []  # every retry came after its retry_after
    assert not (lost := await rows_of_missing(env, chats)), lost
    assert Counter(m["chat_id"] for m in env.tg.sent) == Counter(chats)  # each exactly once
    assert Counter(d.state for d in await env.deliveries()) == {"sent": 60}
