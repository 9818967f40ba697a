"""Malformed input never makes a 5xx or an `internal` socket error, on both
databases: hypothesis sends broken bodies, queries, headers and paths to every HTTP route of the
app (enumerated from its router, the offers API and webhooks included, signed where they need
it), and broken payloads and packets to every socket event. It lives beside the offers tests
because their `env` is the whole app with every webhook wired."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from prilavok.app import MAX_PAYLOAD
from prilavok.bot.viber_webhook import signature
from tests import clients
from tests.bot.conftest import SMS_SECRET, TG_SECRET, VIBER_TOKEN, Env

HTTP_EXAMPLES = int(os.environ.get("PRILAVOK_FUZZ_HTTP", "1500"))
SOCKET_EXAMPLES = int(os.environ.get("PRILAVOK_FUZZ_SOCKET", "1000"))
PER_DB_SECONDS = 60

EVIL_TEXT = [
    "", "\x00", "a\x00b", "\ud800", "x\udfffy", "ы" * 300, "a" * 70_000, " ", "0", "-1",
    "9223372036854775807", "9223372036854775808", "99999999999999999999999", "1e309", "NaN",
    "0001-01-01", "9999-12-31", "9999-12-31T23:59:59", "0001-01-01T00:00:00+14:00",
    "2025-13-45", "Europe/Moscow", "Europe/" + "x" * 300, "../../etc/passwd", "UTC\x00",
    "<script>alert(1)</script>", "{{ 7*7 }}", "%s%n", "+79123456789", "online", "admin",
]  # fmt: skip
EVIL_INT = [0, -1, 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**30]
FIELDS = [
    "login", "password", "conversation_id", "up_to", "client_id", "text", "url", "title",
    "rule_id", "invitation_id", "typing", "status", "id", "operator_id", "hot_reply_id",
    "shortcut", "task_id", "to", "kind", "name", "phone", "score", "comment", "idle_seconds",
    "hidden", "items", "total", "order_id", "hash", "customers", "products", "template",
    "sms_template", "sku", "stock", "price", "timezone", "consent", "starts_at", "customer_ids",
    "business_hours", "days", "capacity", "role", "category", "code", "revenue", "order_ref",
    "ordered_at", "conditions", "action", "cap", "holdout_percent", "priority", "enabled",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(EVIL_INT),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(EVIL_TEXT),
    st.text(max_size=20),
    st.text(alphabet=st.sampled_from("\x00\ud800\udc00aб/.-:{}%"), max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=8)), inner, max_size=5),
    ),
    max_leaves=12,
)


def deep(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@st.composite
def mutated(draw: st.DrawFn, bases: list[Any]) -> Any:
    """A valid-looking body with one field (perhaps nested) set to something hostile."""
    base = json.loads(json.dumps(draw(st.sampled_from(bases))))
    target = base
    while isinstance(target, dict) and target and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(target)))
        if not isinstance(target[key], dict | list):
            break
        inner = target[key]
        target = inner[0] if isinstance(inner, list) and inner else inner
    if isinstance(target, dict):
        for _ in range(draw(st.integers(1, 3))):
            keys = st.sampled_from(sorted(target) or ["x"])
            key = draw(st.one_of(keys, keys, st.sampled_from(FIELDS)))
            target[key] = draw(st.one_of(st.sampled_from(EVIL_TEXT + EVIL_INT), values))
    return base


def encode(value: Any) -> bytes:
    # ensure_ascii writes lone surrogates as \\ud800 escapes, as a hostile client would.
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode()


BODIES: dict[str, list[Any]] = {
    "/console/login": [{"login": "boss", "password": clients.PASSWORD}],
    "/admin/api/rules": [
        {"name": "r", "enabled": True, "priority": 1, "action": "invite", "text": "Hi",
         "conditions": {"match": "all", "items": [{"type": "seconds_on_site", "value": 5}]},
         "fallback_callback": False, "cap": "visit", "holdout_percent": 10}
    ],
    "/admin/api/settings": [
        {"business_hours": {"timezone": "Europe/Moscow", "days": {"mon": ["09:00", "18:00"]}}}
    ],
    "/admin/api/operators": [
        {"login": "op", "name": "Op", "password": "secret pass 1", "role": "operator",
         "capacity": 3}
    ],
    "/admin/api/hot-replies": [{"shortcut": "hi", "text": "Hello"}],
    "/admin/api/related": [{"category": "c", "title": "t", "url": "/p", "price": 10}],
    "/api/v1/customers": [
        {"customers": [{"name": "Иван", "phone": "+79123456789", "timezone": "Europe/Moscow",
                        "consent": {"sms": True}}]}
    ],
    "/api/v1/catalog": [
        {"products": [{"sku": "case-1", "title": "Чехол", "stock": 3, "price": "990.00",
                       "photo_url": "https://cdn.example/x.jpg"}]}
    ],
    "/api/v1/offers": [{"title": "x", "sku": "case-1", "template": "Привет, {{ customer.name }}"}],
    "/api/v1/orders": [{"order_ref": "A-1", "code": "abcd2345", "revenue": "10.00"}],
    "/bot/telegram/webhook": [
        {"update_id": 1, "message": {"message_id": 1, "date": 1790000000, "text": "/start tok",
         "chat": {"id": 5, "type": "private"}, "from": {"id": 5, "is_bot": False,
         "first_name": "И"}}},
        {"update_id": 2, "callback_query": {"id": "1", "data": "cb:abcd2345", "chat_instance": "1",
         "from": {"id": 5, "is_bot": False, "first_name": "И"}}},
    ],
    "/bot/viber/webhook": [
        {"event": "seen", "timestamp": 1, "message_token": 5, "user_id": "u1"},
        {"event": "message", "timestamp": 1, "message_token": 5,
         "sender": {"id": "u1", "name": "И"}, "message": {"type": "text", "text": "stop"}},
        {"event": "conversation_started", "timestamp": 1, "message_token": 5, "type": "open",
         "context": "tok", "user": {"id": "u1", "name": "И"}, "subscribed": False},
        {"event": "failed", "timestamp": 1, "message_token": 5, "user_id": "u1", "desc": "x"},
    ],
}  # fmt: skip
PATH_VALUES = [
    "1", "0", "-1", "9223372036854775807", "9223372036854775808", "1" * 40, "abc", "%00",
    "a" * 300, "ivan-abcd2345", "abcd2345", "..", "%2e%2e%2f", "б" * 200, "x%ff",
]  # fmt: skip
CONTENT_TYPES = [
    "application/json", "application/json; charset=utf-8", "application/x-www-form-urlencoded",
    "multipart/form-data", "multipart/form-data; boundary=zzz", "text/plain", None,
]  # fmt: skip
QUERY_KEYS = ["from", "to", "id", "page", "x"]


def route_paths(env: Env) -> list[tuple[str, str]]:
    """(method, path pattern) of every route the app serves."""
    out = []
    for route in env.server.app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        pattern = info.get("formatter") or info.get("path") or (info.get("prefix", "") + "/{f}")
        method = "POST" if route.method == "*" else route.method
        out.append((method, pattern))
    return sorted(set(out))


@st.composite
def requests(draw: st.DrawFn, routes: list[tuple[str, str]]) -> dict[str, Any]:
    # Routes that read a body are where most input goes: they are drawn four times as often.
    weighted = routes + [r for r in routes if r[0] in ("POST", "PUT")] * 3
    method, pattern = draw(st.sampled_from(weighted))
    if draw(st.integers(0, 9)) == 0:
        method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]))
    path = pattern
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        value = draw(st.one_of(st.sampled_from(PATH_VALUES), st.text(min_size=1, max_size=30)))
        path = path[:start] + quote(value, safe="%/.") + path[end + 1 :]
    bases = BODIES.get(pattern.replace("{secret}", ""), [{"x": 1}])
    kind = draw(st.sampled_from(["mutated", "mutated", "value", "deep", "raw", "form"]))
    if kind == "mutated":
        body = encode(draw(mutated(bases)))
    elif kind == "value":
        body = encode(draw(values))
    elif kind == "deep":
        body = deep(draw(st.sampled_from([33, 200, 1100, 5000]))).encode()
    elif kind == "raw":
        body = draw(st.binary(max_size=64))
    else:
        field = draw(st.sampled_from(["phone", "data[0]", "x"]))
        value = draw(st.sampled_from([*EVIL_TEXT[:12], "sms_status\nid-1\n103\n1"]))
        body = f"{quote(field)}={quote(value, errors='surrogatepass')}".encode()
    ctype = draw(st.sampled_from(CONTENT_TYPES))
    if draw(st.integers(0, 9)) < 7:  # mostly the type the route reads, to get past that check
        ctype = "application/x-www-form-urlencoded" if kind == "form" else "application/json"
    short = [t for t in EVIL_TEXT if len(t) < 1000]  # a longer request line is aiohttp's 400
    query = draw(st.dictionaries(st.sampled_from(QUERY_KEYS), st.sampled_from(short), max_size=2))
    return {
        "method": method, "path": path, "body": body, "ctype": ctype, "query": query,
        "auth": draw(st.integers(0, 4)) > 0, "evil_header": draw(st.sampled_from(EVIL_TEXT)),
    }  # fmt: skip


class Target:
    """The app under test, its credentials, and what went wrong."""

    def __init__(self, env: Env, cookie: str, csrf: str) -> None:
        self.env, self.cookie, self.csrf = env, cookie, csrf
        self.failures: list[str] = []
        self.sent = 0
        self.statuses: Counter[int] = Counter()

    async def send(self, req: dict[str, Any], http: aiohttp.ClientSession) -> None:
        headers = {"X-Forwarded-For": req["evil_header"].encode("utf-8", "replace").hex()[:40]}
        if req["ctype"]:
            headers["Content-Type"] = req["ctype"]
        if req["auth"]:
            headers |= {
                "Authorization": f"Bearer {self.env.key}",
                "X-CSRF-Token": self.csrf,
                "Cookie": f"prilavok_op={self.cookie}",
                "X-Telegram-Bot-Api-Secret-Token": TG_SECRET,
                "X-Viber-Content-Signature": signature(VIBER_TOKEN, req["body"]),
            }
        path = req["path"].replace("%7Bsecret%7D", SMS_SECRET)
        if req["auth"] and path.startswith("/bot/sms/smsru/"):
            path = "/bot/sms/smsru/" + SMS_SECRET
        url = self.env.url + path
        self.sent += 1
        async with http.request(
            req["method"], url, data=req["body"], headers=headers, params=req["query"],
            allow_redirects=False,
        ) as r:  # fmt: skip
            text = await r.text(errors="replace")
            self.statuses[r.status] += 1
            if r.status >= 500:
                self.failures.append(f"{req['method']} {path[:80]} -> {r.status} {text[:200]}")


def run_examples(
    loop: asyncio.AbstractEventLoop, strategy: Any, count: int, act: Callable[[Any], Any]
) -> None:
    """Hypothesis drives from a thread; each example runs on the test's own loop."""
    deadline = time.monotonic() + PER_DB_SECONDS

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def one(example: Any) -> None:
        if time.monotonic() < deadline:
            asyncio.run_coroutine_threadsafe(act(example), loop).result(30)

    one()


async def logged_in(env: Env) -> tuple[str, str]:
    await clients.add_operator(env.server.deps, "boss", role="admin")
    cookie = await clients.login(env.url, "boss")
    async with aiohttp.ClientSession(cookies={"prilavok_op": cookie}) as http:
        r = await http.get(env.url + "/console/api/me")
        return cookie, (await r.json())["csrf_token"]


# Runs against a deadline: alone, so that other tests do not take its examples' time.
@pytest.mark.serial
async def test_no_route_or_webhook_answers_malformed_input_with_a_5xx(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    await env.product()
    cookie, csrf = await logged_in(env)
    target = Target(env, cookie, csrf)
    routes = route_paths(env)
    assert len(routes) > 40 and ("POST", "/bot/viber/webhook") in routes
    started = time.monotonic()
    async with aiohttp.ClientSession() as http:
        await asyncio.to_thread(
            run_examples,
            asyncio.get_running_loop(),
            requests(routes),
            HTTP_EXAMPLES,
            lambda req: target.send(req, http),
        )
    took = time.monotonic() - started
    print(f"fuzz http: {target.sent} requests to {len(routes)} routes in {took:.1f} s,")
    print(f"  statuses {sorted(target.statuses.items())}")
    assert target.failures == []
    assert target.sent >= min(HTTP_EXAMPLES, 500)
    tracebacks = [r for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR]
    assert tracebacks == []


# ---- Socket.IO: raw Engine.IO packets over a WebSocket, so that anything can be sent


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
