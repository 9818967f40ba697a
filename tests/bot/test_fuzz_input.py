"""Malformed input never makes a 5xx, on both databases: hypothesis sends broken bodies,
queries, headers and paths to every HTTP route of the app (enumerated from its router, the
offers API and webhooks included, signed where they need it). It lives beside the offers tests
because their `env` is the whole app with every webhook wired; the socket events' fuzzing is
in test_fuzz_sockets.py."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import Counter
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from hypothesis import strategies as st

from prilavok.bot.viber_webhook import signature
from tests import clients
from tests.bot.conftest import SMS_SECRET, TG_SECRET, VIBER_TOKEN, Env
from tests.bot.fuzzing import (
    EVIL_TEXT,
    deep,
    encode,
    logged_in,
    mutated,
    run_examples,
    values,
)

HTTP_EXAMPLES = int(os.environ.get("PRILAVOK_FUZZ_HTTP", "1500"))


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
