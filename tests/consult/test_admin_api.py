"""/admin's API: admins only, CSRF-checked, validated, and rule changes reach open widgets."""

import aiohttp
import pytest
from sqlalchemy import func, select

from prilavok.storage.models import ProactiveRule
from tests.clients import add_operator, login, visitor
from tests.conftest import Server

RULE = {
    "name": "Уходит с корзиной",
    "enabled": True,
    "conditions": {
        "match": "all",
        "items": [{"type": "exit_intent"}, {"type": "cart_total_at_least", "value": 5000}],
    },
    "action": "callback",
    "text": "Перезвонить вам?",
    "cap": "day",
    "holdout_percent": 10,
}


async def admin_session(server: Server, login_name: str = "boss") -> aiohttp.ClientSession:
    cookie = await login(server.url, login_name)
    http = aiohttp.ClientSession(cookies={"prilavok_op": cookie})
    me = await (await http.get(f"{server.url}/console/api/me")).json()
    http.headers["X-CSRF-Token"] = me["csrf_token"]
    return http


async def rule_count(server: Server) -> int:
    async with server.deps.sessions() as s:
        return await s.scalar(select(func.count()).select_from(ProactiveRule))


async def test_only_admins_and_only_with_the_csrf_token(server: Server) -> None:
    await add_operator(server.deps, "boss", role="admin")
    await add_operator(server.deps, "anna")
    before = await rule_count(server)
    async with aiohttp.ClientSession() as anon:
        r = await anon.get(f"{server.url}/admin/api/rules")
        assert r.status == 401
    async with await admin_session(server, "anna") as op:
        r = await op.get(f"{server.url}/admin/api/rules")
        assert r.status == 403
        assert (await r.json())["error"]["code"] == "forbidden"
    boss_cookie = await login(server.url, "boss")
    async with aiohttp.ClientSession(cookies={"prilavok_op": boss_cookie}) as no_token:
        r = await no_token.post(f"{server.url}/admin/api/rules", json=RULE)
        assert r.status == 403
        assert (await r.json())["error"]["code"] == "csrf"
        r = await no_token.post(
            f"{server.url}/admin/api/rules", json=RULE, headers={"X-CSRF-Token": "guess"}
        )
        assert r.status == 403
    assert await rule_count(server) == before


async def test_rules_crud_reaches_open_widgets(server: Server) -> None:
    await add_operator(server.deps, "boss", role="admin")
    v = await visitor(server.url)
    shipped = v.of("session")[0]["rules"]
    assert len(shipped) == 2
    async with await admin_session(server) as http:
        r = await http.post(f"{server.url}/admin/api/rules", json=RULE)
        assert r.status == 201
        created = await r.json()
        pushed = await v.wait_for("rules", lambda rs: any(x["id"] == created["id"] for x in rs))
        assert {"id": created["id"], "conditions": created["conditions"], "action": "callback"} in (
            pushed
        )
        # A bad rule is refused and changes nothing.
        r = await http.put(
            f"{server.url}/admin/api/rules/{created['id']}",
            json={**RULE, "conditions": {"items": [{"type": "pages_viewed", "value": 0}]}},
        )
        assert r.status == 400
        r = await http.put(
            f"{server.url}/admin/api/rules/{created['id']}", json={**RULE, "enabled": False}
        )
        assert (await r.json())["enabled"] is False
        await v.wait_for("rules", lambda rs: all(x["id"] != created["id"] for x in rs))
        r = await http.delete(f"{server.url}/admin/api/rules/{created['id']}")
        assert r.status == 200
        r = await http.delete(f"{server.url}/admin/api/rules/{created['id']}")
        assert r.status == 404
    await v.close()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/admin/api/operators", {"login": "x", "password": "short"}),
        ("/admin/api/hot-replies", {"shortcut": "hi", "text": ""}),
        ("/admin/api/related", {"category": "phones", "title": "Чехол", "url": "javascript:x"}),
    ],
)
async def test_admin_forms_refuse_bad_input(server: Server, path: str, body: dict) -> None:
    await add_operator(server.deps, "boss", role="admin")
    async with await admin_session(server) as http:
        r = await http.post(f"{server.url}{path}", json=body)
        assert r.status in (400, 409)
        assert "code" in (await r.json())["error"]
        r = await http.get(f"{server.url}{path}")
        rows = await r.json()
        assert all(row.get("login") != "x" for row in rows)
        assert not any(row.get("category") == "phones" for row in rows)


async def test_operators_hours_related_and_stats_endpoints(server: Server) -> None:
    await add_operator(server.deps, "boss", role="admin")
    async with await admin_session(server) as http:
        r = await http.post(
            f"{server.url}/admin/api/operators",
            json={"login": "vera", "name": "Вера", "password": "long enough", "capacity": 3},
        )
        assert r.status == 201
        vera = await r.json()
        r = await http.put(f"{server.url}/admin/api/operators/{vera['id']}", json={"capacity": 6})
        assert (await r.json())["capacity"] == 6
        ops = await (await http.get(f"{server.url}/admin/api/operators")).json()
        assert {o["login"]: o["capacity"] for o in ops}["vera"] == 6

        hours = {"timezone": "Asia/Yekaterinburg", "days": {"mon": ["10:00", "19:00"]}}
        r = await http.put(f"{server.url}/admin/api/settings", json={"business_hours": hours})
        assert r.status == 200
        got = await (await http.get(f"{server.url}/admin/api/settings")).json()
        assert got["business_hours"]["days"]["mon"] == ["10:00", "19:00"]
        r = await http.put(
            f"{server.url}/admin/api/settings",
            json={"business_hours": {"timezone": "Nowhere/Land"}},
        )
        assert r.status == 400

        r = await http.post(
            f"{server.url}/admin/api/related",
            json={"category": "phones", "title": "Чехол", "url": "/shop/p?id=case", "price": 990},
        )
        assert r.status == 201
        r = await http.get(f"{server.url}/admin/api/stats?from=2026-11-01&to=2026-11-30")
        body = await r.json()
        assert len(body["daily"]) == 30 and body["invitations"]["shown"] == 0
        r = await http.get(f"{server.url}/admin/api/stats?from=2026-12-01&to=2026-11-01")
        assert r.status == 400
