"""Operator sessions: server-side, ended by log-out, idleness and a new password;
the console socket only from the console's own origin; log-in failures limited (10.2)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio
from sqlalchemy import func, select, update

from prilavok.consult.team import operators
from prilavok.storage.models import Operator, OperatorSession, utcnow
from tests.clients import PASSWORD, add_operator, login, operator
from tests.conftest import Server
from tests.conftest import test_settings as settings_for

NEW_PASSWORD = "a brand new one 2"


@pytest.fixture
async def srv(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> AsyncIterator[Server]:
    marker = request.node.get_closest_marker("limits")
    server = Server(settings_for(db_url, tmp_path, **(marker.kwargs if marker else {})))
    await server.start()
    await add_operator(server.deps, "anna")
    yield server
    await server.stop()


async def me(srv: Server, cookie: str) -> int:
    async with aiohttp.ClientSession(cookies={"prilavok_op": cookie}) as http:
        async with http.get(f"{srv.url}/console/api/me") as r:
            return r.status


async def refusal(srv: Server, cookie: str, headers: dict[str, str] | None = None) -> Any:
    """What the server answers a console socket that it refuses (connect_error's data)."""
    async with aiohttp.ClientSession(cookies={"prilavok_op": cookie}) as http:
        sio = socketio.AsyncClient(http_session=http, reconnection=False)
        got: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        sio.on("connect_error", lambda e: got.done() or got.set_result(e["data"]), "/operator")
        with pytest.raises(socketio.exceptions.ConnectionError):
            await sio.connect(
                srv.url, namespaces=["/operator"], transports=["websocket"], headers=headers or {}
            )
        await sio.disconnect()
        return await asyncio.wait_for(got, 5)


async def sessions(srv: Server) -> int:
    async with srv.deps.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(OperatorSession)) or 0)


async def wait_closed(rec: Any) -> None:
    for _ in range(100):
        if not rec.sio.namespaces:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the console socket stayed open")


async def test_log_out_ends_the_session_and_its_consoles(srv: Server) -> None:
    cookie, other = await login(srv.url, "anna"), await login(srv.url, "anna")
    console = await operator(srv.url, cookie, reconnection=False)
    kept = await operator(srv.url, other, reconnection=False)
    try:
        async with aiohttp.ClientSession(cookies={"prilavok_op": cookie}) as http:
            async with http.post(f"{srv.url}/console/logout") as r:
                assert r.status == 200
        await wait_closed(console)
        assert await me(srv, cookie) == 401  # the old cookie opens nothing
        assert (await refusal(srv, cookie))["code"] == "unauthorized"
        # The other log-in (another browser) goes on.
        assert await me(srv, other) == 200 and kept.sio.namespaces
        assert (await kept.call("status", {"status": "away"}))["ok"]
    finally:
        await console.close()
        await kept.close()


async def test_idle_sessions_end_but_an_open_console_keeps_its_own(srv: Server) -> None:
    idle, watched = await login(srv.url, "anna"), await login(srv.url, "anna")
    console = await operator(srv.url, watched, reconnection=False)
    try:
        long_ago = utcnow() - timedelta(seconds=srv.deps.limits.session_idle_seconds + 60)
        async with srv.deps.write() as session:
            await session.execute(update(OperatorSession).values(seen_at=long_ago))
        assert await me(srv, idle) == 401
        await operators.beat(srv.deps)  # the heartbeat: the open console's session is in use
        assert await me(srv, watched) == 200
        assert await me(srv, idle) == 401 and await sessions(srv) == 1
    finally:
        await console.close()


@pytest.fixture
async def quiet_srv(db_url: str, tmp_path: Path) -> AsyncIterator[Server]:
    """A server whose own heartbeat (every second in tests) never comes during the test: only
    the test's explicit beat closes a console, so it is still open when its events are refused,
    however long a loaded machine takes over the steps in between."""
    settings = settings_for(db_url, tmp_path).model_copy(update={"heartbeat_seconds": 3600.0})
    server = Server(settings)
    await server.start()
    await add_operator(server.deps, "anna")
    yield server
    await server.stop()


async def test_a_new_password_logs_out_everywhere(quiet_srv: Server) -> None:
    srv = quiet_srv
    cookies = [await login(srv.url, "anna") for _ in range(2)]
    console = await operator(srv.url, cookies[0], reconnection=False)
    try:
        # As `prilavok operator set anna --password` does, from a process without sockets.
        async with srv.deps.write() as session:
            op = await session.scalar(select(Operator).where(Operator.login == "anna"))
            assert op is not None
            await operators.set_password(session, srv.deps.passwords, op, NEW_PASSWORD)
        assert [await me(srv, c) for c in cookies] == [401, 401]
        # Events of the open console are refused at once; its heartbeat closes it.
        res = await console.call("status", {"status": "away"})
        assert res["error"]["code"] == "unauthorized"
        await operators.beat(srv.deps)
        await wait_closed(console)
        async with aiohttp.ClientSession() as http:
            wrong = {"login": "anna", "password": PASSWORD}
            async with http.post(f"{srv.url}/console/login", json=wrong) as r:
                assert r.status == 401
        assert await me(srv, await login(srv.url, "anna", NEW_PASSWORD)) == 200
    finally:
        await console.close()


async def test_log_out_everywhere(srv: Server) -> None:
    cookies = [await login(srv.url, "anna") for _ in range(3)]
    console = await operator(srv.url, cookies[2], reconnection=False)
    try:
        async with aiohttp.ClientSession(cookies={"prilavok_op": cookies[0]}) as http:
            async with http.post(f"{srv.url}/console/logout", json={"everywhere": True}) as r:
                assert r.status == 200
        await wait_closed(console)
        assert [await me(srv, c) for c in cookies] == [401, 401, 401]
        assert await sessions(srv) == 0
    finally:
        await console.close()


async def test_the_console_socket_refuses_other_origins(srv: Server) -> None:
    cookie = await login(srv.url, "anna")
    for foreign in ("http://shop.test", "http://127.0.0.1.evil.test", "null"):
        data = await refusal(srv, cookie, {"Origin": foreign})
        assert data["code"] == "forbidden_origin"
    console = await operator(srv.url, cookie, headers={"Origin": srv.url})
    await console.close()


@pytest.mark.limits(public_url="https://chat.shop.test")
async def test_with_a_public_url_only_its_origin_opens_the_console(srv: Server) -> None:
    cookie = await login(srv.url, "anna")
    data = await refusal(srv, cookie, {"Origin": srv.url})  # the right host, not the public one
    assert data["code"] == "forbidden_origin"
    console = await operator(srv.url, cookie, headers={"Origin": "https://chat.shop.test"})
    await console.close()


async def post_login(srv: Server, name: str, password: str, via: str | None = None) -> Any:
    headers = {"X-Forwarded-For": via} if via else {}
    async with aiohttp.ClientSession() as http:
        body = {"login": name, "password": password}
        async with http.post(f"{srv.url}/console/login", json=body, headers=headers) as r:
            return (
                r.status,
                r.headers.get("Retry-After"),
                "prilavok_op" in r.cookies,
                await r.json(),
            )


@pytest.mark.limits(limit_login_failures="3/minute")
async def test_log_in_failures_per_login(srv: Server) -> None:
    for _ in range(3):
        assert (await post_login(srv, "anna", "wrong password"))[0] == 401
    # The right password too is refused now, before any hashing, and no session is made.
    status, retry, cookie, body = await post_login(srv, "anna", PASSWORD)
    assert (status, cookie, body["error"]["code"]) == (429, False, "rate_limited")
    assert retry is not None and int(retry) == body["error"]["retry_after"]
    assert 55 <= int(retry) <= 60
    assert await sessions(srv) == 0
    # Another login is not slowed by anna's failures.
    await add_operator(srv.deps, "boris")
    assert (await post_login(srv, "boris", PASSWORD))[0] == 200


@pytest.mark.limits(limit_address_login_failures="4/minute", trusted_proxies="127.0.0.1")
async def test_log_in_failures_per_address(srv: Server) -> None:
    for name in ("anna", "boris", "vera", "gleb"):
        assert (await post_login(srv, name, "wrong password", via="198.51.100.4"))[0] == 401
    status, retry, cookie, body = await post_login(srv, "anna", PASSWORD, via="198.51.100.4")
    assert (status, cookie, body["error"]["code"]) == (429, False, "rate_limited")
    assert int(retry) == body["error"]["retry_after"] > 50
    assert (await post_login(srv, "anna", PASSWORD, via="198.51.100.5"))[0] == 200
    assert await sessions(srv) == 1


# Timed (the widget within a second of the burst): alone, where only the burst loads the cores.
@pytest.mark.serial
async def test_a_burst_of_bad_log_ins_does_not_slow_the_widget(
    sqlite_url: str, tmp_path: Path
) -> None:
    """120 parallel bad log-ins hash on the pool of their own; /widget.js does not wait.
    (One backend: the hashing is the same on both, and the burst takes a while.)"""
    off = {"limit_login_failures": "", "limit_address_login_failures": ""}
    srv = Server(settings_for(sqlite_url, tmp_path, **off))
    await srv.start()
    try:
        await _burst(srv)
    finally:
        await srv.stop()


async def _burst(srv: Server) -> None:
    # Clients of their own: one session's connection pool (100) would queue the widget's request.
    unpooled = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=unpooled) as http, aiohttp.ClientSession() as page:

        async def bad(i: int) -> float:
            body = {"login": f"nobody{i}", "password": "wrong password"}
            async with http.post(f"{srv.url}/console/login", json=body) as r:
                assert r.status == 401
            return time.monotonic()

        started = time.monotonic()
        burst = [asyncio.create_task(bad(i)) for i in range(120)]
        await asyncio.sleep(0.3)  # the burst is queued on the hashing pool
        asked = time.monotonic()
        async with page.get(f"{srv.url}/widget.js") as r:
            assert r.status == 200 and len(await r.read()) > 1000
        widget_seconds = time.monotonic() - asked
        finished = await asyncio.gather(*burst)
    burst_seconds = max(finished) - started
    assert widget_seconds < 1.0, widget_seconds
    # The hashing really was going on meanwhile, and went on well after the widget was served.
    assert max(finished) > asked + widget_seconds + 1, (widget_seconds, burst_seconds)
