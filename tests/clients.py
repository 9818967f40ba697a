"""Real Socket.IO clients for tests: they record what they receive and can wait for it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
import socketio

from prilavok.consult.kernel.deps import Deps
from prilavok.consult.team import hot_replies, operators
from prilavok.storage.models import Operator

PASSWORD = "correct horse 1"


async def add_operator(
    deps: Deps, login: str, *, capacity: int = 4, name: str | None = None, role: str = "operator"
) -> Operator:
    async with deps.sessions.begin() as session:
        return await operators.create(
            session,
            deps.passwords,
            login,
            PASSWORD,
            display_name=name,
            capacity=capacity,
            role=role,
        )


async def add_hot_reply(deps: Deps, shortcut: str, text: str, owner: int | None = None) -> int:
    async with deps.sessions.begin() as session:
        return (await hot_replies.save(session, owner, shortcut, text)).id


async def login(base: str, login: str, password: str = PASSWORD) -> str:
    async with aiohttp.ClientSession() as http:
        r = await http.post(f"{base}/console/login", json={"login": login, "password": password})
        assert r.status == 200, await r.text()
        return r.cookies["prilavok_op"].value


class Recorder:
    def __init__(self, namespace: str, **client_kw: Any) -> None:
        self.namespace = namespace
        self.sio = socketio.AsyncClient(**client_kw)
        self.events: list[tuple[str, Any]] = []
        self._changed = asyncio.Event()
        self.sio.on("*", self._record, namespace=namespace)
        self.owned_http: aiohttp.ClientSession | None = None
        self._connected = asyncio.Event()
        self.sio.on("connect", self._connected.set, namespace=namespace)
        self.sio.on("disconnect", lambda *_: self._connected.clear(), namespace=namespace)

    async def _record(self, event: str, data: Any = None) -> None:
        self.events.append((event, data))
        self._changed.set()

    def of(self, event: str) -> list[Any]:
        return [d for e, d in self.events if e == event]

    async def wait_for(
        self, event: str, pred: Callable[[Any], bool] = lambda _: True, timeout: float = 5.0
    ) -> Any:
        async def find() -> Any:
            while True:
                for e, d in self.events:
                    if e == event and pred(d):
                        return d
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(find(), timeout)

    async def call(self, event: str, data: Any, timeout: float = 10.0) -> Any:
        # The server greets (session/init) before the namespace counts as connected.
        await asyncio.wait_for(self._connected.wait(), timeout)
        return await self.sio.call(event, data, namespace=self.namespace, timeout=timeout)

    async def close(self) -> None:
        await self.sio.disconnect()
        if self.owned_http is not None:
            await self.owned_http.close()


async def visitor(
    base: str,
    *,
    token: str | None = None,
    url: str = "http://shop.test/",
    title: str = "Shop",
    locale: str = "ru",
    headers: dict[str, str] | None = None,
    transports: list[str] | None = None,
    **client_kw: Any,
) -> Recorder:
    rec = Recorder("/visitor", **client_kw)

    def auth() -> dict[str, Any]:
        # Like the widget: a reconnect presents the token the last session handed out.
        sessions = rec.of("session")
        current = sessions[-1]["token"] if sessions else token
        data = {"url": url, "title": title, "locale": locale}
        return {**data, "token": current} if current else data

    await rec.sio.connect(
        base,
        namespaces=["/visitor"],
        auth=auth,
        transports=transports or ["websocket"],
        headers=headers or {},
        wait_timeout=10,
    )
    await rec.wait_for("session")
    return rec


async def operator(
    base: str,
    cookie: str,
    *,
    auth: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    **client_kw: Any,
) -> Recorder:
    # The cookie lives in a session of our own: the engine.io client drops a Cookie header
    # from its headers after the first connect, so a reconnect would arrive without it.
    http = aiohttp.ClientSession(cookies={"prilavok_op": cookie})
    rec = Recorder("/operator", http_session=http, **client_kw)
    rec.owned_http = http
    try:
        await rec.sio.connect(
            base,
            namespaces=["/operator"],
            transports=["websocket"],
            headers=headers or {},
            auth=auth,
            wait_timeout=10,
        )
    except BaseException:
        await http.close()
        raise
    await rec.wait_for("init")
    return rec


def cid() -> str:
    return uuid.uuid4().hex
