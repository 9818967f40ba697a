"""Limits shared by every process: three workers, each with its own Redis connections, send one
campaign through a fake Telegram that refuses a 31st message within any second; Viber's hourly
limit per user holds for workers deciding at the same moment."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
import redis.asyncio as aioredis

from devkit.fakes.base import free_port
from devkit.fakes.telegram import FakeTelegram
from prilavok.bot.clock import SystemClock
from prilavok.bot.context import Offers
from prilavok.bot.shared_pace import SharedPacer
from prilavok.bot.worker import DeliveryWorker
from prilavok.channels.telegram import TelegramChannel
from prilavok.channels.viber import ViberChannel
from tests.bot.conftest import TG_TOKEN, VIBER_TOKEN, Env
from tests.bot.test_delivery import telegram_customers
from tests.conftest import REDIS_URL

LIMIT = 30


class CountingChannel(TelegramChannel):
    """The real transport, counting what this worker sent."""

    sent = 0

    async def send(self, *args: Any, **kwargs: Any) -> str:
        message_id = await super().send(*args, **kwargs)
        self.sent += 1
        return message_id


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    redis = aioredis.from_url(REDIS_URL)
    await redis.ping()  # no Redis: fail here, loudly
    name = f"pace-{uuid.uuid4().hex[:10]}"
    yield name
    keys = [k async for k in redis.scan_iter(f"{name}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


def workers(env: Env, tg: FakeTelegram, redis_url: str, prefix: str, n: int) -> list[Offers]:
    """n offers contexts on the test's database, each with its own transport and Redis pool."""
    config = replace(env.ctx.config, redis_url=redis_url, redis_prefix=prefix)
    return [
        Offers(
            deps=env.server.deps,
            config=config,
            clock=env.clock,  # decisions at the fake noon; the pace itself is on Redis's clock
            telegram=CountingChannel(TG_TOKEN, tg.url),
        )
        for _ in range(n)
    ]


def busiest_second(times: list[datetime]) -> int:
    """The most messages any one-second window held (a sliding window, as Telegram counts)."""
    stamps = sorted(t.timestamp() for t in times)
    most, first = 0, 0
    for last, t in enumerate(stamps):
        while t - stamps[first] >= 1:
            first += 1
        most = max(most, last - first + 1)
    return most


async def test_three_workers_together_keep_to_and_reach_telegrams_limit(
    env: Env, prefix: str
) -> None:
    tg = FakeTelegram(TG_TOKEN, SystemClock(), per_second=LIMIT)
    await tg.start()
    await env.product(stock=1000)
    chats = await telegram_customers(env, 120)
    await env.offer()
    await env.offer()  # every chat gets two: one a second per chat must hold across workers
    contexts = workers(env, tg, REDIS_URL, prefix, 3)
    running = [DeliveryWorker(ctx, f"node-{i}") for i, ctx in enumerate(contexts)]
    tasks = [asyncio.create_task(w.run()) for w in running]
    try:
        await asyncio.wait_for(tg.wait_sent(2 * len(chats)), 120)
        await asyncio.sleep(1)  # a late or doubled send would show
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for w, ctx in zip(running, contexts, strict=True):
            await w.close()
            assert ctx.telegram is not None
            await ctx.telegram.close()
        await tg.stop()

    assert tg.rate_limited == 0  # Telegram never had to refuse one
    assert tg.violations == []  # no chat got two within a second
    assert busiest_second([m["at"] for m in tg.sent]) <= LIMIT
    # Together they reach the limit: no worker kept to a third of it.
    assert busiest_second([m["at"] for m in tg.sent]) >= LIMIT - 5
    assert Counter(m["chat_id"] for m in tg.sent) == Counter(chats * 2)
    deliveries = await env.deliveries()
    assert Counter(d.state for d in deliveries) == {"sent": 2 * len(chats)}
    sent = [ctx.telegram.sent for ctx in contexts if isinstance(ctx.telegram, CountingChannel)]
    assert len(sent) == 3 and all(sent), sent  # all three took part


async def test_without_redis_nothing_is_sent_and_nothing_is_lost(env: Env, prefix: str) -> None:
    tg = FakeTelegram(TG_TOKEN, SystemClock(), per_second=LIMIT)
    await tg.start()
    await env.product()
    await telegram_customers(env, 3)
    await env.offer()
    # Redis configured but not there: the limit cannot be kept, so nothing goes.
    (ctx,) = workers(env, tg, f"redis://127.0.0.1:{free_port()}/0", prefix, 1)
    worker = DeliveryWorker(ctx, "node-blind")
    try:
        await worker.run_once()
    finally:
        await worker.close()
        assert ctx.telegram is not None
        await ctx.telegram.close()
        await tg.stop()
    assert tg.sent == []
    held = await env.deliveries()
    assert [(d.state, d.reason) for d in held] == [("scheduled", "rate_limited")] * 3
    assert all(d.tries == 0 for d in held)  # not counted as a failed try


async def test_viber_hourly_limit_holds_for_three_workers_at_once(env: Env) -> None:
    """Viber's limit is counted in the database under the customer's row lock: workers that
    decide at the same moment still send no more than it allows."""
    await env.product(stock=100)
    (c,) = await env.customers({"name": "Вера", "phone": "+79120000003"})
    await env.link_viber(c, "vb-vera")
    env.clock.advance(hours=2)  # linking counts as a reply; let it age
    for _ in range(5):
        await env.offer()
    # One row a claim, so that the three really decide side by side.
    config = replace(env.ctx.config, viber_per_user_hour=2, batch=1)
    contexts = [
        Offers(
            deps=env.server.deps,
            config=config,
            clock=env.clock,
            viber=ViberChannel(VIBER_TOKEN, env.viber.url),
        )
        for _ in range(3)
    ]
    running = [DeliveryWorker(ctx, f"node-{i}") for i, ctx in enumerate(contexts)]
    for ctx in contexts:
        assert ctx.viber is not None
        await ctx.viber.open()
    try:
        for _ in range(3):
            await asyncio.gather(*(w.run_once() for w in running))
    finally:
        for ctx in contexts:
            assert ctx.viber is not None
            await ctx.viber.close()
    assert len(env.viber.messages_to("vb-vera")) == 2
    held = await env.deliveries(state="scheduled")
    assert [d.reason for d in held] == ["viber_hourly_limit"] * 3


async def blocked(waiting: Any, seconds: float) -> bool:
    """Whether `waiting` (a wait for a place) is still not let through after `seconds`."""
    task = asyncio.ensure_future(waiting)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return not done


async def test_a_send_in_flight_holds_its_place_in_every_process(prefix: str) -> None:
    """Three a second: three sends let through by two processes and not yet answered keep a
    fourth waiting however long they take; answered, the fourth goes a second later."""
    one, two = (SharedPacer(REDIS_URL, prefix, 3) for _ in range(2))
    try:
        places = [await one.wait("1"), await two.wait("2"), await one.wait("3")]
        assert await blocked(two.wait("4"), 1.5)  # > 1 s after they started: still in flight
        for pacer, place, chat in zip((one, two, one), places, "123", strict=True):
            await pacer._answered(keys=[f"{prefix}:window", pacer._chat(chat)], args=[place, 0])
        assert await blocked(two.wait("4"), 0.5)  # a second after the answers, not before
        await asyncio.wait_for(two.wait("4"), 2)
    finally:
        await one.close()
        await two.close()


async def test_a_chat_and_a_429_hold_for_every_process(prefix: str) -> None:
    one, two = (SharedPacer(REDIS_URL, prefix, 30, per_chat_seconds=1) for _ in range(2))
    try:
        async with one.turn("7"):
            pass
        assert await blocked(two.wait("7"), 0.5)  # one a second per chat, across processes
        await asyncio.wait_for(two.wait("8"), 1)  # another chat goes at once
        await two.pause(1.5)  # a 429 met by the second process...
        assert await blocked(one.wait("9"), 0.8)  # ...pauses the first too
        await asyncio.wait_for(one.wait("9"), 2)
    finally:
        await one.close()
        await two.close()
