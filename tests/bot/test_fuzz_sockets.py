"""Malformed socket input never makes an `internal` error, on both databases: hypothesis
sends broken payloads and packets to every socket event, as raw Engine.IO frames over a
WebSocket, so that anything can be sent."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections import Counter
from typing import Any

import aiohttp
import pytest
from hypothesis import strategies as st

from prilavok.app import MAX_PAYLOAD
from tests.bot.conftest import Env
from tests.bot.fuzzing import (
    deep,
    encode,
    logged_in,
    mutated,
    run_examples,
    values,
)

SOCKET_EXAMPLES = int(os.environ.get("PRILAVOK_FUZZ_SOCKET", "1000"))


SOCKET_BODIES: dict[str, list[Any]] = {
    "message": [{"client_id": "c-1", "text": "Здравствуйте"},
                {"conversation_id": 1, "client_id": "c-2", "text": "Ответ"}],
    "typing": [{"typing": True}, {"conversation_id": 1, "typing": False}],
    "read": [{"up_to": 1}, {"conversation_id": 1, "up_to": 1}],
    "delivered": [{"up_to": 1}, {"conversation_id": 1, "up_to": 1}],
    "page": [{"url": "http://shop.test/p", "title": "P"}],
    "identify": [{"id": "42", "name": "Мария", "hash": "ab"}],
    "cart": [{"items": [{"id": "p1", "name": "Нева", "price": 10, "quantity": 1,
                         "category": "phones", "url": "/p"}], "total": 10}],
    "purchase": [{"order_id": "A-1", "total": 10, "items": []}],
    "activity": [{"idle_seconds": 5, "hidden": False, "exit_intent": True}],
    "rule.fire": [{"rule_id": 1, "url": "http://shop.test/"}],
    "invitation.accept": [{"invitation_id": 1}],
    "invitation.dismiss": [{"invitation_id": 1}],
    "callback": [{"kind": "callback", "name": "И", "phone": "+79123456789", "text": "x",
                  "preferred_time": "утром"}],
    "rate": [{"conversation_id": 1, "score": 5, "comment": "ok"}],
    "status": [{"status": "online"}],
    "open": [{"conversation_id": 1}],
    "take": [{"conversation_id": 1}],
    "transfer": [{"conversation_id": 1, "operator_id": 1}],
    "close": [{"conversation_id": 1}],
    "hot_reply.render": [{"conversation_id": 1, "hot_reply_id": 1}],
    "hot_reply.save": [{"shortcut": "hi", "text": "Привет"},
                       {"id": 1, "shortcut": "a", "text": "b"}],
    "hot_reply.delete": [{"id": 1}],
    "task": [{"task_id": 1, "to": "taken"}],
}  # fmt: skip
GARBAGE = [
    "4", "42", "42/visitor,", "42/visitor,1[", "42/visitor,[]", '42/visitor,["message"', "4x",
    '42/nowhere,["message",{}]', '451-/visitor,["message",{"_placeholder":true,"num":0}]',
    '42/visitor,9999999999999999999999["message",{}]', '42/visitor,["\\ud800",{}]', "6", "5",
    '42/visitor,[1,2]', '42/visitor,"message"', "41/visitor,", "40/visitor,[", "\x00",
]  # fmt: skip


@st.composite
def packets(draw: st.DrawFn, events: dict[str, list[str]]) -> tuple[str, str, str | None]:
    """(namespace, event, packet text after the ack id) or a garbage packet."""
    namespace = draw(st.sampled_from(sorted(events)))
    if draw(st.integers(0, 9)) == 0:
        return namespace, "", draw(st.one_of(st.sampled_from(GARBAGE), st.text(max_size=30)))
    event = draw(st.sampled_from(events[namespace]))
    kind = draw(st.sampled_from(["mutated", "mutated", "value", "deep", "args"]))
    if kind == "mutated":
        body = encode([event, draw(mutated(SOCKET_BODIES.get(event, [{"x": 1}])))])
    elif kind == "value":
        body = encode([event, draw(values)])
    elif kind == "deep":
        body = f'["{event}",{deep(draw(st.sampled_from([33, 200, 1100, 5000])))}]'.encode()
    else:
        body = encode([event, *draw(st.lists(values, max_size=3))])
    return namespace, event, body.decode()


class SocketTarget:
    """One raw connection per namespace, reopened when the server drops it."""

    def __init__(self, env: Env, cookie: str, http: aiohttp.ClientSession) -> None:
        self.env, self.cookie, self.http = env, cookie, http
        self.ws: dict[str, aiohttp.ClientWebSocketResponse] = {}
        self.ack_id = 0
        self.failures: list[str] = []
        self.codes: Counter[str] = Counter()
        self.sent = self.garbage = self.oversize = 0

    async def _open(self, namespace: str) -> aiohttp.ClientWebSocketResponse:
        ws = self.ws.get(namespace)
        if ws is not None and not ws.closed:
            return ws
        headers = {"Cookie": f"prilavok_op={self.cookie}"} if namespace == "/operator" else {}
        url = self.env.url + "/socket.io/?EIO=4&transport=websocket"
        ws = await self.http.ws_connect(url, headers=headers)
        assert (await ws.receive_str(timeout=10)).startswith("0")
        auth = {"url": "http://shop.test/", "title": "Shop", "locale": "ru"}
        await ws.send_str(f"40{namespace},{json.dumps(auth)}")
        while not (reply := await ws.receive_str(timeout=10)).startswith(f"40{namespace},"):
            assert not reply.startswith("44"), reply  # refused
        self.ws[namespace] = ws
        return ws

    async def send(self, packet: tuple[str, str, str | None]) -> None:
        namespace, event, body = packet
        ws = await self._open(namespace)
        self.sent += 1
        if not event:  # garbage: the server may drop the connection; it must not crash
            self.garbage += 1
            await ws.send_str(body or "")
            await ws.close()  # the next packet starts on a fresh connection
            return
        self.ack_id += 1
        prefix = f"43{namespace},{self.ack_id}["
        frame = f"42{namespace},{self.ack_id}{body}"
        await ws.send_str(frame)
        if len(frame.encode()) > MAX_PAYLOAD:  # engine.io's answer is to close the connection
            self.oversize += 1
            while (msg := await ws.receive(timeout=10)).type == aiohttp.WSMsgType.TEXT:
                if msg.data.startswith(prefix):
                    self.failures.append(f"{namespace} {event}: a packet over the limit handled")
            return
        while True:
            msg = await ws.receive(timeout=10)
            if msg.type != aiohttp.WSMsgType.TEXT:
                self.failures.append(
                    f"{namespace} {event}: connection lost ({msg.type}) {(body or '')[:200]}"
                )
                return
            if msg.data == "2":
                await ws.send_str("3")
            elif msg.data.startswith(prefix):
                ack = json.loads(msg.data[len(prefix) - 1 :])[0]
                code = "ok" if ack.get("ok") else ack["error"]["code"]
                self.codes[code] += 1
                if code == "internal":
                    self.failures.append(f"{namespace} {event} {(body or '')[:200]}")
                return

    async def close(self) -> None:
        for ws in self.ws.values():
            await ws.close()


def event_names() -> dict[str, list[str]]:
    from prilavok.consult.edges.console_ns import ConsoleNamespace
    from prilavok.widget.visitor_ns import VisitorNamespace

    return {
        "/visitor": sorted(VisitorNamespace(None, None).handlers()),  # type: ignore[arg-type]
        "/operator": sorted(ConsoleNamespace(None, None).handlers()),  # type: ignore[arg-type]
    }


@pytest.mark.serial
async def test_no_socket_event_fails_internally_on_malformed_payloads(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    cookie, _ = await logged_in(env)
    events = event_names()
    assert len(events["/visitor"]) >= 14 and len(events["/operator"]) >= 13
    started = time.monotonic()
    async with aiohttp.ClientSession() as http:
        target = SocketTarget(env, cookie, http)
        await asyncio.to_thread(
            run_examples,
            asyncio.get_running_loop(),
            packets(events),
            SOCKET_EXAMPLES,
            target.send,
        )
        await target.close()
    took = time.monotonic() - started
    over = f"{target.garbage} garbage, {target.oversize} over the limit"
    print(f"fuzz socket: {target.sent} packets ({over}) in {took:.1f} s,")
    print(f"  acks {sorted(target.codes.items())}")
    assert target.failures == []
    assert target.codes["invalid_payload"] > 0 and target.codes["ok"] > 0
    socket_lines = [r for r in caplog.records if r.name in ("engineio.server", "socketio.server")]
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in socket_lines)
    assert len(socket_lines) <= target.garbage + target.oversize
    assert [r for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR] == []


async def test_a_packet_over_the_payload_limit_closes_its_connection(env: Env) -> None:
    """What the fuzz meets now and then (four 70,000-character strings in one list): engine.io
    closes the connection, and nothing handles the event."""
    cookie, _ = await logged_in(env)
    body = json.dumps(["activity", ["a" * MAX_PAYLOAD]])
    async with aiohttp.ClientSession() as http:
        target = SocketTarget(env, cookie, http)
        await target.send(("/visitor", "activity", body))
        await target.send(("/visitor", "activity", json.dumps(["activity", {}])))  # reconnects
        await target.close()
    assert (target.oversize, target.failures) == (1, [])
    assert sum(target.codes.values()) == 1  # the second packet was answered
