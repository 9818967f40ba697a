"""Each kind of malformed input the fuzzing found gets a 4xx with a code (or, for webhooks,
what the platform expects) and changes nothing, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging

import aiohttp
import pytest
from sqlalchemy import func, select

from devkit.fakes.viber import post_callback
from prilavok.storage.models import Customer, Operator
from tests import clients
from tests.bot.conftest import SMS_SECRET, VIBER_TOKEN, Env


async def post_raw(env: Env, path: str, body: bytes, ctype: str, **headers: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http:
        r = await http.post(env.url + path, data=body, headers={"Content-Type": ctype, **headers})
        return r.status, await r.text()


async def customers(env: Env) -> int:
    async with env.server.deps.sessions() as session:
        return await session.scalar(select(func.count()).select_from(Customer)) or 0


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (b'{"login": ' * 5000 + b"1" + b"}" * 5000, "not JSON"),
        (b'{"login": ' + b'{"a": ' * 40 + b"1" + b"}" * 41, "nested deeper"),
        (b'{"login": "boss", "password": "\\ud800"}', "not JSON"),
        (b'{"login": "bo\\u0000ss", "password": "x"}', "NUL"),
        (b'{"login": "boss", "password": 18446744073709551615}', "64 bits"),
    ],
)
async def test_log_in_refuses_hostile_json_before_anything(
    env: Env, body: bytes, what: str
) -> None:
    status, text = await post_raw(env, "/console/login", body, "application/json")
    assert status == 400, text
    error = json.loads(text)["error"]
    assert error["code"] == "invalid_payload" and what in error["message"]


async def test_nul_bytes_and_huge_numbers_never_reach_the_database(env: Env) -> None:
    for item in (
        {"name": "Ив\x00ан", "phone": "+79123456789"},
        {"name": "Иван", "phone": "+79123456789", "timezone": "Europe/" + "x" * 300},
        {"name": "Иван", "phone": "+79123456789", "timezone": "Europe/Moscow\x00"},
    ):
        status, data = await env.call("POST", "/api/v1/customers", {"customers": [item]})
        assert status == 400 and data["error"]["code"] == "invalid_payload", data
    status, data = await env.call(
        "POST", "/api/v1/catalog", {"products": [{"sku": "a", "title": "b", "stock": 2**40}]}
    )
    assert status == 400 and data["error"]["code"] == "invalid_payload"
    assert await customers(env) == 0
    await env.product()
    for starts_at in ("9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+14:00"):
        body = {"title": "x", "sku": "case-1", "template": "Привет", "starts_at": starts_at}
        status, data = await env.call("POST", "/api/v1/offers", body)
        assert status == 400 and "starts_at" in data["error"]["message"], data
    for path in ("/api/v1/customers/9223372036854775808", "/api/v1/offers/99999999999999999999"):
        status, data = await env.call("GET", path)
        assert status == 404 and data["error"]["code"] == "not_found", path


async def test_dates_at_the_edges_and_long_names_are_refused_not_500(env: Env) -> None:
    await clients.add_operator(env.server.deps, "boss", role="admin")
    cookie = await clients.login(env.url, "boss")
    async with aiohttp.ClientSession(cookies={"prilavok_op": cookie}) as http:
        for query in ("from=0001-01-01", "to=0001-01-01", "to=9999-12-31", "from=x"):
            r = await http.get(f"{env.url}/admin/api/stats?{query}")
            assert r.status == 400, query
            r = await http.get(f"{env.url}/admin/api/offers/report?{query}T23:59:59")
            assert r.status == 400, query
        r = await http.put(f"{env.url}/admin/api/rules/9223372036854775808", json={})
        assert r.status in (403, 404)  # no CSRF token here; never a 500
        r = await http.get(env.url + "/static/" + "a" * 300)
        assert r.status == 404
        r = await http.get(env.url + "/shop/" + "б" * 200)
        assert r.status == 404
    async with env.server.deps.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Operator)) == 1


async def test_a_form_without_its_boundary_is_a_400(env: Env) -> None:
    await env.product()
    await env.customers({"name": "Иван", "phone": "+79123456789", "consent": {"sms": True}})
    await env.offer()
    await env.drain()
    (d,) = await env.deliveries()
    status, text = await post_raw(env, f"/m/{d.code}/callback", b"phone=1", "multipart/form-data")
    assert status == 400 and json.loads(text)["error"]["code"] == "invalid_payload"
    status, _ = await post_raw(
        env, f"/m/{d.code}/callback", b"phone=%00", "application/x-www-form-urlencoded"
    )
    assert status == 400


async def test_webhooks_answer_malformed_but_authenticated_bodies_as_their_platform_expects(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    # Telegram resends anything but a 2xx: an unreadable update is taken and ignored.
    for update in ({"update_id": "x"}, {"update_id": 1, "message": {"chat": 5}}, [1, 2]):
        assert await env.telegram_update(update) == 200  # type: ignore[arg-type]
    status, _ = await post_raw(
        env, "/bot/telegram/webhook", b"\xff{", "application/json",
        **{"X-Telegram-Bot-Api-Secret-Token": "webhook-secret-1"},
    )  # fmt: skip
    assert status == 200
    assert await env.telegram_update({"update_id": "x"}, secret="wrong") == 401
    # Viber: a signed callback with fields of the wrong type is a 400, and no crash.
    for body in (
        {"event": "seen", "timestamp": 1, "message_token": 1, "user_id": {"a": 1}},
        {"event": "conversation_started", "timestamp": 1, "message_token": 1,
         "type": "open", "context": 5, "user": {"id": "u1", "name": "x"}},
        {"event": "seen", "timestamp": 1, "message_token": 1, "user_id": "u\x00"},
    ):  # fmt: skip
        r = await post_callback(f"{env.url}/bot/viber/webhook", VIBER_TOKEN, body)
        assert r.status == 400
    # SMS.ru repeats until it reads "100".
    for body, ctype in ((b"data%5B0%5D=%00", "application/x-www-form-urlencoded"),
                        (b"x", "multipart/form-data")):  # fmt: skip
        status, text = await post_raw(env, f"/bot/sms/smsru/{SMS_SECRET}", body, ctype)
        assert (status, text) == (200, "100")
    assert await post_raw(env, "/bot/sms/smsru/%F1%92", b"", "text/plain") == (
        403,
        "403: Forbidden",
    )
    assert not [r for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR]
