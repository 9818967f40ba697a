"""The OpenAPI description is true: every offers and admin route is in it and nothing else, it is
valid OpenAPI 3.1, and real requests and answers match what it says."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from prilavok.bot import api_keys
from tests.clients import add_operator, login
from tests.conftest import Server

DESCRIBED = re.compile(r"^/(api/v1|admin/api)/")
SELF = {"/api/v1/openapi.json", "/api/v1/docs"}


def routes(server: Server) -> set[tuple[str, str]]:
    out = set()
    for route in server.app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if DESCRIBED.match(path) and path not in SELF and route.method != "HEAD":
            out.add((route.method.lower(), path))
    return out


class Checked:
    """An HTTP client that checks each request body and answer against the description."""

    def __init__(self, server: Server, doc: dict[str, Any], http: aiohttp.ClientSession) -> None:
        self.base, self.doc, self.http = server.url, doc, http
        self.seen: set[tuple[str, str]] = set()

    def _schema(self, schema: dict[str, Any]) -> Draft202012Validator:
        return Draft202012Validator({**schema, "components": self.doc["components"]})

    async def __call__(
        self, method: str, template: str, json: Any = None, *, invalid: bool = False, **ids: int
    ) -> Any:
        op = self.doc["paths"][template][method]
        if json is not None:
            body = self._schema(op["requestBody"]["content"]["application/json"]["schema"])
            # What the description refuses, the server must refuse too (and the reverse).
            assert body.is_valid(json) is not invalid, json
        path = template.format(**ids)
        async with self.http.request(method, self.base + path, json=json) as r:
            answer = await r.json()
            declared = op["responses"].get(str(r.status))
            assert declared, f"{method} {template} answered {r.status}, not described: {answer}"
            schema = declared["content"]["application/json"]["schema"]
            self._schema(schema).validate(answer)
        self.seen.add((method, template))
        return r.status, answer


async def test_every_route_is_described_and_answers_match(server: Server) -> None:
    async with aiohttp.ClientSession() as anon:
        doc = await (await anon.get(f"{server.url}/api/v1/openapi.json")).json()
        page = await anon.get(f"{server.url}/api/v1/docs")
        assert page.status == 200 and "/api/v1/offers/{id}" in await page.text()
    validate(doc)
    described = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert described == routes(server)

    await add_operator(server.deps, "boss", role="admin")
    key = await api_keys.create(server.deps, "shop-1")
    cookie = await login(server.url, "boss")
    async with aiohttp.ClientSession(cookies={"prilavok_op": cookie}) as admin:
        me = await (await admin.get(f"{server.url}/console/api/me")).json()
        admin.headers["X-CSRF-Token"] = me["csrf_token"]
        call = Checked(server, doc, admin)
        assert (await call("get", "/admin/api/operators"))[0] == 200
        status, op = await call(
            "post",
            "/admin/api/operators",
            {"login": "anna", "password": "long-enough", "name": "А"},
        )
        assert status == 201
        await call("put", "/admin/api/operators/{id}", {"capacity": 3}, id=op["id"])
        assert (
            await call(
                "put", "/admin/api/operators/{id}", {"capacity": 99}, id=op["id"], invalid=True
            )
        )[0] == 400
        op_path = "/admin/api/operators/{id}"
        await call("post", f"{op_path}/password", {"password": "new enough 1"}, id=op["id"])
        weak = await call(
            "post", f"{op_path}/password", {"password": "short"}, invalid=True, id=op["id"]
        )
        assert weak[0] == 400
        assert (await call("post", f"{op_path}/deactivate", id=op["id"]))[1]["active"] is False
        assert (await call("post", f"{op_path}/deactivate", id=op["id"] + 99))[0] == 404
        assert (await call("post", f"{op_path}/activate", id=op["id"]))[1]["active"] is True
        await call("get", "/admin/api/hot-replies")
        _, reply = await call(
            "post", "/admin/api/hot-replies", {"shortcut": "hi", "text": "Добрый день"}
        )
        await call("delete", "/admin/api/hot-replies/{id}", id=reply["id"])
        assert (await call("delete", "/admin/api/hot-replies/{id}", id=reply["id"]))[0] == 404
        _, hours = await call("get", "/admin/api/settings")
        await call("put", "/admin/api/settings", hours)
        await call("get", "/admin/api/rules")
        rule = {
            "name": "Корзина",
            "enabled": True,
            "conditions": {"match": "all", "items": [{"type": "cart_not_empty"}]},
            "action": "invite",
            "text": "Помочь?",
            "cap": "visit",
            "holdout_percent": 10,
        }
        status, made = await call("post", "/admin/api/rules", rule)
        assert status == 201
        await call("put", "/admin/api/rules/{id}", {**rule, "text": "Подсказать?"}, id=made["id"])
        await call("delete", "/admin/api/rules/{id}", id=made["id"])
        _, related = await call(
            "post", "/admin/api/related", {"category": "c", "title": "Чехол", "url": "/case"}
        )
        await call("get", "/admin/api/related")
        await call("delete", "/admin/api/related/{id}", id=related["id"])
        await call("get", "/admin/api/stats")
        await call("get", "/admin/api/offers/report")
        await call("get", "/admin/api/api-keys")
        _, made_key = await call("post", "/admin/api/api-keys", {"shop_id": "s2", "name": "1C"})
        assert made_key["key"].startswith("pk_")
        listed = (await call("get", "/admin/api/api-keys"))[1]["api_keys"]
        await call("delete", "/admin/api/api-keys/{id}", id=listed[-1]["id"])
        await call("get", "/admin/api/audit")
        _, journeys = await call("get", "/admin/api/journeys")
        cart = next(j for j in journeys["journeys"] if j["key"] == "abandoned_cart")
        edit = {k: cart[k] for k in ("name", "enabled", "purpose", "holdout_percent", "definition")}
        await call(
            "put", "/admin/api/journeys/{id}", {**edit, "holdout_percent": 20}, id=cart["id"]
        )
        await call("put", "/admin/api/channel-prices", {"sms": 3.5, "viber": 1.2})
        assert (await call("get", "/admin/api/customers/{id}/timeline", id=999))[0] == 404
        glass = {"shop_id": "shop-1", "name": "Стекло", "kind": "accessory",
                 "category": "phones", "offer_category": "glass", "delay_days": 30,
                 "price_max": 20000, "template": "{{ product.title }}"}  # fmt: skip
        status, made = await call("post", "/admin/api/calendar/rules", glass)
        assert status == 201
        rule_id = made["rule"]["id"]
        # The schema refuses a rule without its delay, and so does the server.
        no_delay = {k: v for k, v in glass.items() if k != "delay_days"}
        assert (await call("post", "/admin/api/calendar/rules", no_delay, invalid=True))[0] == 400
        changed = {**glass, "delay_days": 45}
        await call("put", "/admin/api/calendar/rules/{id}", changed, id=rule_id)
        assert (await call("put", "/admin/api/calendar/rules/{id}", changed, id=999))[0] == 404
        period = {"shop_id": "shop-1", "period_days": 20}
        await call("put", "/admin/api/calendar/settings", period)
        rules = (await call("get", "/admin/api/calendar/rules"))[1]
        assert rules["periods"] == {"shop-1": 20} and rules["rules"][0]["delay_days"] == 45
        assert (await call("post", "/admin/api/calendar/plan", {"shop_id": "shop-1"}))[0] == 200
        assert (await call("get", "/admin/api/calendar/report"))[1]["rules"][0]["planned"] == 0
        await call("delete", "/admin/api/calendar/rules/{id}", id=rule_id)
        assert (await call("delete", "/admin/api/calendar/rules/{id}", id=999))[0] == 404

    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as shop:
        call2 = Checked(server, doc, shop)
        _, saved = await call2(
            "post",
            "/api/v1/customers",
            {"customers": [{"name": "Мария", "phone": "+79123456789", "consent": {"sms": True}}]},
        )
        cust = saved["customers"][0]["id"]
        await call2("get", "/api/v1/customers/{id}", id=cust)
        assert (await call2("get", "/api/v1/customers/{id}", id=cust + 999))[0] == 404
        await call2(
            "post", "/api/v1/catalog", {"products": [{"sku": "a", "title": "A", "stock": 2}]}
        )
        status, offer = await call2(
            "post", "/api/v1/offers", {"title": "T", "sku": "a", "template": "Привет!"}
        )
        assert status == 201
        await call2("get", "/api/v1/offers/{id}", id=offer["offer"]["id"])
        bad = await call2(
            "post", "/api/v1/orders", {"order_ref": "1", "code": "nosuchcode", "revenue": 1}
        )
        assert bad[0] == 404
        assert (await call2("post", "/api/v1/catalog/yml"))[0] == 400  # no feed in the body
        source = {"url": "https://shop.example/feed.yml", "every_minutes": 60}
        assert (await call2("put", "/api/v1/catalog/yml-source", source))[0] == 200
        event = {"id": "e1", "type": "product.viewed", "customer": {"id": "c1"}}
        status, _ = await call2(
            "post", "/api/v1/events", {"events": [{**event, "product": {"sku": "a"}}]}
        )
        assert status == 201
        # The CSV body is no JSON: an empty one is refused as such.
        assert (await call2("post", "/api/v1/licences/csv"))[0] == 400
        assert (await call2("post", "/api/v1/orders/csv"))[0] == 400
        assert (await call2("put", "/api/v1/checkout-secret", {"secret": "x" * 20}))[0] == 200
        short = await call2("put", "/api/v1/checkout-secret", {"secret": "x"}, invalid=True)
        assert short[0] == 400
    # Every described operation was exercised against a real answer.
    assert call.seen | call2.seen == described
