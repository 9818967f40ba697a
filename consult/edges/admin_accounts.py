"""/admin's own log-in, its page guard, and operator accounts: deactivate, activate, password."""

from __future__ import annotations

from aiohttp import web

from prilavok.consult.edges.console_views import log_in
from prilavok.consult.kernel import logins, serialize
from prilavok.consult.kernel.errors import ConsultError, not_found
from prilavok.consult.kernel.web_auth import (
    COOKIE,
    DEPS,
    LOGIN_PATH,
    STATIC,
    json_object,
    next_admin_path,
    page_or_login,
    require_admin,
)
from prilavok.consult.team import accounts


def admin_page(name: str):  # type: ignore[no-untyped-def]
    async def handler(request: web.Request) -> web.StreamResponse:
        return await page_or_login(request, request.app[STATIC] / "admin" / name)

    return handler


async def login_page(request: web.Request) -> web.FileResponse:
    """The form; an admin already logged in goes straight on to where they were going."""
    op = await logins.operator(request.app[DEPS], logins.session_key(request.cookies.get(COOKIE)))
    if op is not None and op.role == "admin":
        raise web.HTTPFound(next_admin_path(request.query.get("next")))
    return web.FileResponse(request.app[STATIC] / "admin" / "login.html")


async def login(request: web.Request) -> web.Response:
    return await log_in(request, admins_only=True)


def _id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit() or len(raw) > 18:
        raise not_found("operator")
    return int(raw)


async def deactivate(request: web.Request) -> web.Response:
    admin = await require_admin(request)
    op = await accounts.deactivate(request.app[DEPS], _id(request), admin)
    return web.json_response(serialize.operator(op))


async def activate(request: web.Request) -> web.Response:
    admin = await require_admin(request)
    op = await accounts.activate(request.app[DEPS], _id(request), admin.login)
    return web.json_response(serialize.operator(op))


async def password(request: web.Request) -> web.Response:
    admin = await require_admin(request)
    new = (await json_object(request)).get("password")
    if not isinstance(new, str) or len(new) > 1024:
        raise ConsultError("invalid_payload", "password is a string")
    op = await accounts.reset_password(request.app[DEPS], _id(request), new, admin.login)
    return web.json_response(serialize.operator(op))


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get(LOGIN_PATH, login_page)
    r.add_post(LOGIN_PATH, login)
    r.add_get("/admin/audit", admin_page("audit.html"))
    r.add_post("/admin/api/operators/{id}/deactivate", deactivate)
    r.add_post("/admin/api/operators/{id}/activate", activate)
    r.add_post("/admin/api/operators/{id}/password", password)
