"""A render that does not come back in time (the template threads held up, the machine starved)
is an overload, not a bad template: the message waits and goes later; the API answers 503."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import Future

import pytest

from prilavok.bot import message_templates
from tests.bot.conftest import Env
from tests.bot.test_delivery import telegram_customers


class Held:
    """Holds every template thread busy, as a queue of renders or a starved machine would."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.jobs: list[Future[None]] = []

    def hold(self) -> None:
        self.release.clear()
        started = [threading.Event() for _ in range(message_templates.THREADS)]

        def job(i: int) -> None:
            started[i].set()
            self.release.wait(30)

        self.jobs = [
            message_templates._threads.submit(job, i) for i in range(message_templates.THREADS)
        ]
        for one in started:
            assert one.wait(5)

    async def free(self) -> None:
        self.release.set()
        for one in self.jobs:
            await asyncio.wrap_future(one)
        await message_templates.off_loop(lambda: None)  # what queued meanwhile has run


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[Held]:
    monkeypatch.setattr(message_templates, "WAIT_LIMIT", 0.2)  # callers give up after 0.2 s
    threads = Held()
    yield threads
    threads.release.set()


async def test_a_render_that_does_not_come_back_waits_and_goes_later(env: Env, held: Held) -> None:
    await env.product()
    chats = await telegram_customers(env, 3)
    await env.offer()
    held.hold()

    await env.drain()
    rows = await env.deliveries()
    assert [(d.state, d.reason, d.tries) for d in rows] == [("scheduled", "busy", 1)] * 3
    assert all(d.not_before > env.clock.now() for d in rows)
    assert env.tg.sent == []

    await held.free()
    env.clock.advance(seconds=11)
    await env.drain()
    assert sorted(m["chat_id"] for m in env.tg.sent) == chats
    assert {(d.state, d.reason) for d in await env.deliveries()} == {("sent", None)}


async def test_renders_that_never_come_back_fail_after_the_tries(env: Env, held: Held) -> None:
    env.ctx.config.max_tries = 2
    await env.product()
    await telegram_customers(env, 1)
    await env.offer()
    held.hold()
    await env.drain()
    [d] = await env.deliveries()
    assert (d.state, d.reason, d.tries) == ("scheduled", "busy", 1)
    env.clock.advance(hours=1)
    await env.drain()  # the second try is the last, as for an outage
    [d] = await env.deliveries()
    assert (d.state, d.reason, d.tries) == ("failed", "bad_template", 2)
    assert "2 times" in (d.note or "")
    assert env.tg.sent == []


async def test_the_api_answers_503_while_renders_cannot_run(env: Env, held: Held) -> None:
    await env.product()
    held.hold()
    status, data = await env.call(
        "POST", "/api/v1/offers", {"title": "x", "sku": "case-1", "template": "Привет!"}
    )
    assert status == 503 and data["error"]["code"] == "server_busy", data
    assert await env.deliveries() == []
    await held.free()
    status, data = await env.call(
        "POST", "/api/v1/offers", {"title": "x", "sku": "case-1", "template": "Привет!"}
    )
    assert status == 201, data
