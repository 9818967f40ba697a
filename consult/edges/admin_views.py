"""/admin: rules, business hours, operators, global hot replies, related goods, numbers.

Admins only; every change carries the session's X-CSRF-Token (web_auth.require_admin).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from aiohttp import web
from sqlalchemy import func, select

from prilavok.consult.chat import availability, hours, stats
from prilavok.consult.chat.presence import reachable_ids
from prilavok.consult.edges import admin_accounts
from prilavok.consult.edges.admin_accounts import admin_page
from prilavok.consult.kernel import audit, http_input, serialize
from prilavok.consult.kernel.errors import ConsultError
from prilavok.consult.kernel.web_auth import DEPS, json_object, require_admin
from prilavok.consult.proactive import decisions, rules
from prilavok.consult.team import accounts, hot_replies, operators
from prilavok.consult.visitors import shopping
from prilavok.storage.models import (
    Conversation,
    HotReply,
    Operator,
    ProactiveRule,
    RelatedProduct,
    utcnow,
)

STATS_MAX_DAYS = 366


def _id(request: web.Request) -> int:
    return http_input.path_id(request, "item")


# ---- rules


async def list_rules(request: web.Request) -> web.Response:
    await require_admin(request)
    async with request.app[DEPS].sessions() as session:
        rows = await session.scalars(
            select(ProactiveRule).order_by(ProactiveRule.priority, ProactiveRule.id)
        )
        return web.json_response([rules.full(r) for r in rows])


async def save_rule(request: web.Request) -> web.Response:
    admin = await require_admin(request)
    data = rules.parse_rule(await json_object(request))
    rule_id = _id(request) if "id" in request.match_info else None
    saved = await decisions.save_rule(request.app[DEPS], admin.login, data, rule_id)
    return web.json_response(saved, status=200 if rule_id is not None else 201)


async def delete_rule(request: web.Request) -> web.Response:
    admin = await require_admin(request)
    await decisions.delete_rule(request.app[DEPS], admin.login, _id(request))
    return web.json_response({"ok": True})


# ---- settings


async def get_settings(request: web.Request) -> web.Response:
    await require_admin(request)
    async with request.app[DEPS].sessions() as session:
        found = await hours.load(session)
    return web.json_response({"business_hours": found.model_dump(mode="json")})


async def put_settings(request: web.Request) -> web.Response:
    admin = await require_admin(request)
    body = await json_object(request)
    parsed = hours.parse(body.get("business_hours", {}))
    await availability.set_hours(request.app[DEPS], admin.login, parsed)
    return web.json_response({"business_hours": parsed.model_dump(mode="json")})


# ---- operators


async def list_operators(request: web.Request) -> web.Response:
    await require_admin(request)
    deps = request.app[DEPS]
    async with deps.sessions() as session:
        ops = list(await session.scalars(select(Operator).order_by(Operator.login)))
        online = await reachable_ids(session, deps.limits)
        marks = dict(
            (oid, (avg, n))
            for oid, avg, n in (
                await session.execute(
                    select(Conversation.operator_id, func.avg(Conversation.rating), func.count())
                    .where(Conversation.rating.is_not(None))
                    .group_by(Conversation.operator_id)
                )
            ).all()
        )
    out = []
    for op in ops:
        avg, n = marks.get(op.id, (None, 0))
        out.append(
            {
                **serialize.operator(op),
                "online": op.id in online,
                "rating_average": float(avg) if avg is not None else None,
                "rating_count": n,
            }
        )
    return web.json_response(out)


async def add_operator(request: web.Request) -> web.Response:
    admin = await require_admin(request)
    body = await json_object(request)
    login, password = body.get("login"), body.get("password")
    if not isinstance(login, str) or not isinstance(password, str):
        raise ConsultError("invalid_payload", "login and password are strings")
    capacity = body.get("capacity", 4)
    if not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= 50:
        raise ConsultError("invalid_payload", "capacity is 1 to 50")
    name = body.get("name")[:200] if isinstance(body.get("name"), str) else None
    data = await accounts.create(
        request.app[DEPS],
        admin.login,
        login,
        password,
        name=name,
        role=str(body.get("role", "operator")),
        capacity=capacity,
    )
    return web.json_response(data, status=201)


async def change_operator(request: web.Request) -> web.Response:
    admin = await require_admin(request)
    body = await json_object(request)
    operator_id = _id(request)
    cap = body.get("capacity")
    if "capacity" in body and (
        not isinstance(cap, int) or isinstance(cap, bool) or not 1 <= cap <= 50
    ):
        raise ConsultError("invalid_payload", "capacity is 1 to 50")
    if "role" in body and body["role"] not in operators.ROLES:
        raise ConsultError("invalid_payload", "role is operator or admin")
    name = body.get("name")
    if "name" in body and (not isinstance(name, str) or not name.strip()):
        raise ConsultError("invalid_payload", "a name is needed")
    change = accounts.Change(
        capacity=cap if "capacity" in body else None,
        role=body["role"] if "role" in body else None,
        name=name.strip()[:200] if isinstance(name, str) else None,
    )
    data = await accounts.change(request.app[DEPS], admin.login, operator_id, change)
    return web.json_response(data)


# ---- global hot replies


async def list_replies(request: web.Request) -> web.Response:
    await require_admin(request)
    async with request.app[DEPS].sessions() as session:
        rows = await session.scalars(
            select(HotReply).where(HotReply.operator_id.is_(None)).order_by(HotReply.shortcut)
        )
        return web.json_response([serialize.hot_reply(r) for r in rows])


async def add_reply(request: web.Request) -> web.Response:
    admin = await require_admin(request)
    body = await json_object(request)
    shortcut, text = body.get("shortcut"), body.get("text")
    if not isinstance(shortcut, str) or not isinstance(text, str) or not text.strip():
        raise ConsultError("invalid_payload", "shortcut and text are needed")
    if len(shortcut) > 50 or len(text) > 4000:
        raise ConsultError("too_long", "shortcut ≤ 50, text ≤ 4000 characters")
    data = await hot_replies.add_global(request.app[DEPS], admin.login, shortcut, text)
    return web.json_response(data, status=201)


async def delete_reply(request: web.Request) -> web.Response:
    admin = await require_admin(request)
    await hot_replies.delete_global(request.app[DEPS], admin.login, _id(request))
    return web.json_response({"ok": True})


# ---- related goods


async def list_related(request: web.Request) -> web.Response:
    await require_admin(request)
    async with request.app[DEPS].sessions() as session:
        rows = await session.scalars(
            select(RelatedProduct).order_by(RelatedProduct.category, RelatedProduct.id)
        )
        return web.json_response([shopping.related_dict(r) for r in rows])


async def add_related(request: web.Request) -> web.Response:
    admin = await require_admin(request)
    body = await json_object(request)
    category, title, url = body.get("category"), body.get("title"), body.get("url")
    price = body.get("price")
    if not all(isinstance(v, str) and v.strip() for v in (category, title, url)):
        raise ConsultError("invalid_payload", "category, title and url are needed")
    assert isinstance(url, str) and isinstance(category, str) and isinstance(title, str)
    if not (url.startswith(("http://", "https://", "/"))) or len(url) > 2048:
        raise ConsultError("invalid_payload", "url is http(s) or a path on the shop")
    if price is not None and (not isinstance(price, int | float) or price < 0):
        raise ConsultError("invalid_payload", "price is a positive number")
    data = await shopping.add_related(request.app[DEPS], admin.login, category, title, url, price)
    return web.json_response(data, status=201)


async def delete_related(request: web.Request) -> web.Response:
    admin = await require_admin(request)
    await shopping.delete_related(request.app[DEPS], admin.login, _id(request))
    return web.json_response({"ok": True})


# ---- numbers


async def get_audit(request: web.Request) -> web.Response:
    await require_admin(request)
    before = request.query.get("before")
    if before is not None and not (before.isdigit() and len(before) <= 18):
        raise ConsultError("invalid_payload", "before is an entry id")
    async with request.app[DEPS].sessions() as session:
        entries = await audit.latest(session, int(before) if before else None)
    return web.json_response({"entries": entries})


async def get_stats(request: web.Request) -> web.Response:
    await require_admin(request)
    today = utcnow().date()
    end = http_input.day(request.query.get("to"), today, "to")
    start = http_input.day(request.query.get("from"), end - timedelta(days=29), "from")
    if start > end or (end - start).days >= STATS_MAX_DAYS:
        raise ConsultError("invalid_payload", f"from ≤ to, at most {STATS_MAX_DAYS} days")
    async with request.app[DEPS].sessions() as session:
        return web.json_response(await stats.compute(session, start, end))


def setup(app: web.Application, static_dir: Path) -> None:
    r = app.router
    r.add_get("/admin", admin_page("index.html"))
    r.add_get("/admin/", admin_page("index.html"))
    r.add_get("/admin/stats", admin_page("stats.html"))
    admin_accounts.setup(app)
    r.add_get("/admin/api/rules", list_rules)
    r.add_post("/admin/api/rules", save_rule)
    r.add_put("/admin/api/rules/{id}", save_rule)
    r.add_delete("/admin/api/rules/{id}", delete_rule)
    r.add_get("/admin/api/settings", get_settings)
    r.add_put("/admin/api/settings", put_settings)
    r.add_get("/admin/api/operators", list_operators)
    r.add_post("/admin/api/operators", add_operator)
    r.add_put("/admin/api/operators/{id}", change_operator)
    r.add_get("/admin/api/hot-replies", list_replies)
    r.add_post("/admin/api/hot-replies", add_reply)
    r.add_delete("/admin/api/hot-replies/{id}", delete_reply)
    r.add_get("/admin/api/related", list_related)
    r.add_post("/admin/api/related", add_related)
    r.add_delete("/admin/api/related/{id}", delete_related)
    r.add_get("/admin/api/stats", get_stats)
    r.add_get("/admin/api/audit", get_audit)
