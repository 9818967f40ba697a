"""Limits on what one visitor or one address may do through the widget: each
refusal has the code `rate_limited` and a retry time, and changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from prilavok.storage.models import Conversation, Message, Task
from tests.clients import cid, visitor
from tests.conftest import Server
from tests.conftest import test_settings as settings_for


@pytest.fixture
async def limited(
    request: pytest.FixtureRequest, db_url: str, tmp_path: Path
) -> AsyncIterator[Server]:
    """A server with the limits the test names (marker `limits`), behind a trusted proxy."""
    marker = request.node.get_closest_marker("limits")
    srv = Server(settings_for(db_url, tmp_path, trusted_proxies="127.0.0.1", **marker.kwargs))
    await srv.start()
    yield srv
    await srv.stop()


def via(address: str) -> dict[str, str]:
    """Headers of a request that came through the (trusted) local proxy from `address`."""
    return {"X-Forwarded-For": address}


async def count(srv: Server, model: Any) -> int:
    async with srv.deps.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def refused(res: dict[str, Any]) -> int:
    """The retry time of a refusal by a limit."""
    assert res["ok"] is False, res
    assert res["error"]["code"] == "rate_limited", res
    retry = res["error"]["retry_after"]
    assert isinstance(retry, int) and retry >= 1
    return retry


@pytest.mark.limits(limit_visitor_messages="3/minute")
async def test_messages_per_visitor(limited: Server) -> None:
    v = await visitor(limited.url)
    try:
        for i in range(3):
            assert (await v.call("message", {"client_id": cid(), "text": f"m{i}"}))["ok"]
        res = await v.call("message", {"client_id": cid(), "text": "one too many"})
        assert 55 <= refused(res) <= 60
        error = await v.wait_for("error", lambda e: e["code"] == "rate_limited")
        assert error["event"] == "message" and error["retry_after"] == res["error"]["retry_after"]
        assert await count(limited, Message) == 3
    finally:
        await v.close()


@pytest.mark.limits(limit_address_sockets="3/minute")
async def test_sockets_per_address(limited: Server) -> None:
    handshake = f"{limited.url}/socket.io/?EIO=4&transport=polling"
    # Three sockets that start by long-polling and then upgrade: the requests after the
    # handshake carry the socket's sid and are not new sockets.
    polling = ["polling", "websocket"]
    clients = [
        await visitor(limited.url, headers=via("198.51.100.1"), transports=polling)
        for _ in range(3)
    ]
    for v in clients:
        assert v.sio.transport() == "websocket"
        await v.close()
    async with aiohttp.ClientSession() as http:
        async with http.get(handshake, headers=via("198.51.100.1")) as r:
            assert r.status == 429
            retry = int(r.headers["Retry-After"])
            body = await r.json()
        assert 55 <= retry <= 60
        assert body["error"]["code"] == "rate_limited" and body["error"]["retry_after"] == retry
        # Another address has a window of its own.
        async with http.get(handshake, headers=via("198.51.100.2")) as r:
            assert r.status == 200 and '"sid"' in await r.text()
    v = await visitor(limited.url, headers=via("198.51.100.3"))
    await v.close()


async def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(
    db_url: str, tmp_path: Path
) -> None:
    srv = Server(settings_for(db_url, tmp_path, limit_address_sockets="2/minute"))
    await srv.start()
    try:
        handshake = f"{srv.url}/socket.io/?EIO=4&transport=polling"
        async with aiohttp.ClientSession() as http:
            statuses = []
            for i in range(3):  # three "addresses", all really 127.0.0.1
                async with http.get(handshake, headers=via(f"198.51.100.{i}")) as r:
                    statuses.append(r.status)
        assert statuses == [200, 200, 429]
    finally:
        await srv.stop()


@pytest.mark.limits(limit_address_conversations="2/minute")
async def test_new_conversations_per_address(limited: Server) -> None:
    same = [await visitor(limited.url, headers=via("198.51.100.7")) for _ in range(3)]
    other = await visitor(limited.url, headers=via("198.51.100.8"))
    try:
        for v in same[:2]:
            assert (await v.call("message", {"client_id": cid(), "text": "Здравствуйте"}))["ok"]
        assert 55 <= refused(await same[2].call("message", {"client_id": cid(), "text": "И я"}))
        # Messages to conversations already open are not new conversations.
        assert (await same[0].call("message", {"client_id": cid(), "text": "ещё"}))["ok"]
        assert (await other.call("message", {"client_id": cid(), "text": "Добрый день"}))["ok"]
        assert await count(limited, Conversation) == 3
        assert await count(limited, Message) == 4
    finally:
        for v in [*same, other]:
            await v.close()


@pytest.mark.limits(limit_visitor_callbacks="2/hour", limit_address_callbacks="3/hour")
async def test_callback_tasks_per_visitor_and_per_address(limited: Server) -> None:
    ask = {"kind": "callback", "name": "Мария", "phone": "8 912 345-67-89"}
    first = await visitor(limited.url, headers=via("198.51.100.9"))
    second = await visitor(limited.url, headers=via("198.51.100.9"))
    try:
        for _ in range(2):
            assert (await first.call("callback", ask))["ok"]
        assert refused(await first.call("callback", ask)) > 3500  # the visitor's hour
        assert (await second.call("callback", ask))["ok"]
        assert refused(await second.call("callback", ask)) > 3500  # the address's hour
        assert await count(limited, Task) == 3
    finally:
        await first.close()
        await second.close()
