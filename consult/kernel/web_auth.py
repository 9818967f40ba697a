"""What every HTTP edge shares: the app keys, JSON bodies, who is logged in, the admin guard.

Lives below the edges so that the console, the admin and the offers routes (bot/) use one
implementation without importing each other's views.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from prilavok.consult.kernel import admin_pages, http_input, logins
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.errors import ConsultError
from prilavok.consult.kernel.tokens import Signer
from prilavok.storage.models import Operator

# The operator session cookie (HttpOnly; the console's socket reads it from the handshake too).
COOKIE = "prilavok_op"
DEPS = web.AppKey("consult_deps", Deps)
SIGNER = web.AppKey("consult_signer", Signer)
STATIC = web.AppKey("consult_static_dir", Path)
SECURE_COOKIE = web.AppKey("consult_secure_cookie", bool)
LOGIN_PATH = "/admin/login"


async def json_object(request: web.Request) -> dict:
    return await http_input.json_object(request)


async def current_operator(request: web.Request) -> Operator:
    """The logged-in operator, or 401."""
    op = await logins.operator(request.app[DEPS], logins.session_key(request.cookies.get(COOKIE)))
    if op is None:
        raise ConsultError("unauthorized", "log in first", 401)
    return op


async def require_operator(request: web.Request) -> Operator:
    """The logged-in operator; a request that changes something must also carry the session's
    X-CSRF-Token (from /console/api/me), which a page on another site cannot read."""
    op = await current_operator(request)
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        cookie = request.cookies.get(COOKIE, "")
        if not request.app[SIGNER].csrf_ok(cookie, request.headers.get("X-CSRF-Token")):
            raise ConsultError("csrf", "missing or wrong X-CSRF-Token", 403)
    return op


async def require_admin(request: web.Request) -> Operator:
    op = await require_operator(request)
    if op.role != "admin":
        raise ConsultError("forbidden", "admins only", 403)
    return op


def next_admin_path(raw: str | None) -> str:
    """Where to go after logging in: an admin page of ours, never another site."""
    if raw and raw.startswith("/admin") and not raw.startswith(LOGIN_PATH) and "//" not in raw:
        return raw
    return "/admin"


async def page_or_login(request: web.Request, page: Path) -> web.StreamResponse:
    """An admin page (a template in static/admin, rendered by admin_pages); without a live
    session, the log-in page first (and back here after). A logged-in operator who is not an
    admin gets the page, which says so."""
    op = await logins.operator(request.app[DEPS], logins.session_key(request.cookies.get(COOKIE)))
    if op is None:
        raise web.HTTPFound(f"{LOGIN_PATH}?next={next_admin_path(request.path_qs)}")
    return web.Response(body=admin_pages.render(page), content_type="text/html", charset="utf-8")
