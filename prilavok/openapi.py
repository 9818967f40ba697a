"""The OpenAPI 3.1 description of the offers API and the admin API, built from the same pydantic
models that check the requests, so the two cannot drift; `tests/test_openapi.py` checks every
route against it. Served at /api/v1/openapi.json, readable at /api/v1/docs."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from jinja2 import Environment, select_autoescape
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from prilavok import openapi_journeys, openapi_lifecycle
from prilavok.bot.calendar_defs import CalendarRuleIn, CalendarSettingsIn
from prilavok.bot.catalog import ProductIn
from prilavok.bot.customers import CustomerIn
from prilavok.bot.journey_defs import JourneyIn
from prilavok.bot.orders import OrderIn
from prilavok.bot.planning import OfferIn
from prilavok.bot.shop_events import EventsIn
from prilavok.consult.chat.hours import Hours
from prilavok.consult.proactive.rules import RuleIn
from prilavok.openapi_shapes import (
    API_KEY,
    AUDIT,
    CUSTOMER,
    ERROR,
    HOT_REPLY,
    INT,
    NULLABLE_NUM,
    OK,
    OPERATOR,
    RELATED,
    STR,
    obj,
)

REF = "#/components/schemas/{model}"
MODELS: list[type[BaseModel]] = [
    CustomerIn, ProductIn, OfferIn, OrderIn, EventsIn, JourneyIn, RuleIn, Hours,
    CalendarRuleIn, CalendarSettingsIn,
]  # fmt: skip


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _answer(status: int, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        str(status): {
            "description": description,
            "content": {"application/json": {"schema": schema}},
        }
    }


def _op(
    summary: str,
    tag: str,
    *,
    body: dict[str, Any] | None = None,
    ok: tuple[int, dict[str, Any]] = (200, OK),
    errors: tuple[int, ...] = (400,),
    params: list[str] = (),  # type: ignore[assignment]
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    auth = [{"apiKey": []}] if tag == "offers" else [{"operatorSession": []}]
    responses = _answer(ok[0], "done", ok[1])
    for status in (*errors, 401) if tag == "offers" else (*errors, 401, 403):
        responses.update(_answer(status, "refused; `error.code` says why", ERROR))
    out: dict[str, Any] = {
        "summary": summary,
        "tags": [tag],
        "security": auth,
        "responses": responses,
    }
    if body is not None:
        out["requestBody"] = _body(body)
    parameters = [
        {"name": p, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
        for p in params
    ]
    parameters += [
        {
            "name": q,
            "in": "query",
            "required": False,
            "description": d,
            "schema": {"type": "string", "format": "date"},
        }
        for q, d in (query or {}).items()
    ]
    if parameters:
        out["parameters"] = parameters
    return out


def paths() -> dict[str, dict[str, Any]]:
    customers = obj(
        ["customers"],
        {
            "customers": {
                "type": "array",
                "items": _ref("CustomerIn"),
                "minItems": 1,
                "maxItems": 5000,
            }
        },
        extra=False,
    )
    products = obj(
        ["products"],
        {"products": {"type": "array", "items": _ref("ProductIn"), "minItems": 1}},
        extra=False,
    )
    operator_new = obj(
        ["login", "password"],
        {
            "login": STR,
            "password": {"type": "string", "minLength": 8},
            "name": STR,
            "role": {"enum": ["operator", "admin"]},
            "capacity": {"type": "integer", "minimum": 1},
        },
    )
    operator_change = obj(
        [],
        {
            "name": STR,
            "role": {"enum": ["operator", "admin"]},
            "capacity": {"type": "integer", "minimum": 1, "maximum": 50},
        },
    )
    reply_new = obj(
        ["shortcut", "text"],
        {
            "shortcut": {"type": "string", "maxLength": 50},
            "text": {"type": "string", "maxLength": 4000},
        },
    )
    related_new = obj(
        ["category", "title", "url"],
        {"category": STR, "title": STR, "url": STR, "price": NULLABLE_NUM},
    )
    hours = obj(["business_hours"], {"business_hours": _ref("Hours")})
    rule_list = {"type": "array", "items": {"type": "object"}}
    return {
        "/api/v1/customers": {
            "post": _op(
                "Create or update customers by phone (all or nothing)",
                "offers",
                body=customers,
                ok=(200, obj(["customers"], {"customers": {"type": "array", "items": CUSTOMER}})),
                errors=(400, 403, 413),
            )
        },
        "/api/v1/customers/{id}": {
            "get": _op(
                "A customer with consent, links and history",
                "offers",
                params=["id"],
                ok=(200, obj(["customer"], {"customer": CUSTOMER})),
                errors=(404,),
            )
        },
        "/api/v1/catalog": {
            "post": _op(
                "Create or update products by SKU",
                "offers",
                body=products,
                ok=(200, obj(["saved"], {"saved": INT})),
            )
        },
        "/api/v1/offers": {
            "post": _op(
                "Plan an offer to customers",
                "offers",
                body=_ref("OfferIn"),
                ok=(
                    201,
                    obj(["offer"], {"offer": obj(["id", "planned"], {"id": INT, "planned": INT})}),
                ),
            )
        },
        "/api/v1/offers/{id}": {
            "get": _op(
                "An offer and its deliveries by state",
                "offers",
                params=["id"],
                ok=(
                    200,
                    obj(
                        ["offer"],
                        {
                            "offer": obj(
                                ["id", "title", "sku", "deliveries"],
                                {
                                    "id": INT,
                                    "title": STR,
                                    "sku": STR,
                                    "deliveries": {"type": "object"},
                                },
                            )
                        },
                    ),
                ),
                errors=(404,),
            )
        },
        "/api/v1/orders": {
            "post": _op(
                "Report an order made from an offer's page (idempotent by order_ref)",
                "offers",
                body=_ref("OrderIn"),
                ok=(201, obj(["order"], {"order": {"type": "object"}})),
                errors=(400, 404),
            )
        },
        "/admin/api/rules": {
            "get": _op("Proactive rules", "admin", ok=(200, rule_list), errors=()),
            "post": _op("Add a rule", "admin", body=_ref("RuleIn"), ok=(201, {"type": "object"})),
        },
        "/admin/api/rules/{id}": {
            "put": _op(
                "Change a rule",
                "admin",
                body=_ref("RuleIn"),
                params=["id"],
                ok=(200, {"type": "object"}),
                errors=(400, 404),
            ),
            "delete": _op("Remove a rule", "admin", params=["id"], errors=(404,)),
        },
        "/admin/api/settings": {
            "get": _op("Business hours", "admin", ok=(200, hours), errors=()),
            "put": _op("Set business hours", "admin", body=hours, ok=(200, hours)),
        },
        "/admin/api/operators": {
            "get": _op(
                "Operators with presence and ratings",
                "admin",
                ok=(200, {"type": "array", "items": OPERATOR}),
                errors=(),
            ),
            "post": _op(
                "Add an operator", "admin", body=operator_new, ok=(201, OPERATOR), errors=(400, 409)
            ),
        },
        "/admin/api/operators/{id}": {
            "put": _op(
                "Change an operator's name, role or capacity",
                "admin",
                body=operator_change,
                params=["id"],
                ok=(200, OPERATOR),
                errors=(400, 404),
            )
        },
        "/admin/api/operators/{id}/deactivate": {
            "post": _op(
                "Deactivate: log-in refused, every session and console ended, chats requeued",
                "admin",
                params=["id"],
                ok=(200, OPERATOR),
                errors=(404, 409),
            )
        },
        "/admin/api/operators/{id}/activate": {
            "post": _op(
                "Let a deactivated operator log in again",
                "admin",
                params=["id"],
                ok=(200, OPERATOR),
                errors=(404,),
            )
        },
        "/admin/api/operators/{id}/password": {
            "post": _op(
                "Set an operator's password; every session of theirs ends",
                "admin",
                body=obj(["password"], {"password": {"type": "string", "minLength": 8}}),
                params=["id"],
                ok=(200, OPERATOR),
                errors=(400, 404),
            )
        },
        "/admin/api/hot-replies": {
            "get": _op(
                "Global hot replies",
                "admin",
                ok=(200, {"type": "array", "items": HOT_REPLY}),
                errors=(),
            ),
            "post": _op("Add a global hot reply", "admin", body=reply_new, ok=(201, HOT_REPLY)),
        },
        "/admin/api/hot-replies/{id}": {
            "delete": _op("Remove a global hot reply", "admin", params=["id"], errors=(404,))
        },
        "/admin/api/related": {
            "get": _op(
                "Related goods offered in chats",
                "admin",
                ok=(200, {"type": "array", "items": RELATED}),
                errors=(),
            ),
            "post": _op("Add related goods", "admin", body=related_new, ok=(201, RELATED)),
        },
        "/admin/api/related/{id}": {
            "delete": _op("Remove related goods", "admin", params=["id"], errors=(404,))
        },
        "/admin/api/stats": {
            "get": _op(
                "The numbers against the control group",
                "admin",
                ok=(200, {"type": "object"}),
                query={"from": "first day, YYYY-MM-DD", "to": "last day, YYYY-MM-DD"},
            )
        },
        "/admin/api/audit": {
            "get": _op(
                "Who changed what, newest first, 100 a page",
                "admin",
                ok=(200, obj(["entries"], {"entries": {"type": "array", "items": AUDIT}})),
                query={"before": "the last id of the previous page"},
            )
        },
        "/admin/api/api-keys": {
            "get": _op(
                "The offers API's keys (never the keys themselves)",
                "admin",
                ok=(200, obj(["api_keys"], {"api_keys": {"type": "array", "items": API_KEY}})),
                errors=(),
            ),
            "post": _op(
                "Create a key; the answer is the only time it is shown",
                "admin",
                body=obj(["shop_id"], {"shop_id": STR, "name": STR}),
                ok=(201, obj(["key"], {"key": STR})),
            ),
        },
        "/admin/api/api-keys/{id}": {
            "delete": _op(
                "Revoke a key",
                "admin",
                params=["id"],
                ok=(200, obj(["api_key"], {"api_key": API_KEY})),
                errors=(404,),
            )
        },
        "/admin/api/offers/report": {
            "get": _op(
                "Offers: deliveries, reads, orders and revenue by channel",
                "admin",
                ok=(200, {"type": "object"}),
                errors=(),
            )
        },
    }


def document() -> dict[str, Any]:
    _, defs = models_json_schema([(m, "validation") for m in MODELS], ref_template=REF)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Prilavok",
            "version": "1",
            "description": "The shop's offers API (an API key per shop) and the admin API (an "
            'admin\'s console session). Every error is `{"error": {"code", "message"}}`.',
        },
        "paths": {**paths(), **openapi_journeys.paths(), **openapi_lifecycle.paths()},
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "`prilavok api-key create <shop>`",
                },
                "operatorSession": {"type": "apiKey", "in": "cookie", "name": "prilavok_op"},
            },
        },
    }


PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Prilavok API</title><style>body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;
margin:2rem auto;padding:0 1rem}code,pre{background:#f4f4f5;padding:.1rem .3rem;border-radius:4px}
pre{padding:.6rem;overflow:auto;font-size:13px}h3{margin:1.6rem 0 .3rem}.m{font-weight:700}</style>
</head><body><h1>{{ doc.info.title }} API</h1><p>{{ doc.info.description }}</p>
<p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1).</p>
{% for path, ops in doc.paths.items() %}{% for method, op in ops.items() %}
<h3><span class="m">{{ method|upper }}</span> <code>{{ path }}</code></h3><p>{{ op.summary }}</p>
{% if op.requestBody %}<details><summary>request body</summary>
<pre>{% for kind, c in op.requestBody.content.items() %}{{ kind }}: {{ c.schema|tojson(2) }}
{% endfor %}</pre></details>{% endif %}
<p>Answers: {% for status in op.responses %}<code>{{ status }}</code> {% endfor %}</p>
{% endfor %}{% endfor %}
<h2>Schemas</h2>{% for name, schema in doc.components.schemas.items() %}
<h3 id="{{ name }}">{{ name }}</h3><pre>{{ schema|tojson(2) }}</pre>{% endfor %}
</body></html>"""


def setup(app: web.Application) -> None:
    doc = document()
    html = Environment(autoescape=select_autoescape(default=True)).from_string(PAGE)
    page = html.render(doc=doc)

    async def spec(request: web.Request) -> web.Response:
        return web.json_response(doc)

    async def docs(request: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html")

    app.router.add_get("/api/v1/openapi.json", spec)
    app.router.add_get("/api/v1/docs", docs)
