"""HTTP routes of the console: the page, log-in and log-out (the rest travels over Socket.IO)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from prilavok.consult.kernel import logins, serialize
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.errors import ConsultError
from prilavok.consult.kernel.tokens import Signer
from prilavok.consult.kernel.web_auth import (
    COOKIE,
    DEPS,
    SECURE_COOKIE,
    SIGNER,
    STATIC,
    current_operator,
    json_object,
)
from prilavok.consult.team import operators


async def page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(request.app[STATIC] / "console" / "index.html")


async def login(request: web.Request) -> web.Response:
    return await log_in(request)


async def log_in(request: web.Request, *, admins_only: bool = False) -> web.Response:
    """Checks a login and password and starts a session (its cookie). `admins_only`: an
    operator who is not an admin is told so (403 not_admin) and gets no session."""
    data = await json_object(request)
    name, password = data.get("login"), data.get("password")
    if not isinstance(name, str) or not isinstance(password, str) or len(password) > 1024:
        raise ConsultError("invalid_payload", "login and password are strings")
    deps = request.app[DEPS]
    # Failures are counted per login and per address; a full window refuses even the right
    # password, before any hashing.
    by_login, by_address = name.strip().casefold()[:100], deps.addresses.of_request(request)
    await deps.throttle.check("login_failures", by_login)
    await deps.throttle.check("address_login_failures", by_address)
    op = await operators.authenticate(deps, name, password)
    if op is None:
        await deps.throttle.fail("login_failures", by_login)
        await deps.throttle.fail("address_login_failures", by_address)
        raise ConsultError("bad_credentials", "wrong login or password", 401)
    if admins_only and op.role != "admin":
        raise ConsultError("not_admin", f"{op.login} is not an admin; use the console", 403)
    response = web.json_response({"operator": serialize.operator(op)})
    response.set_cookie(
        COOKIE,
        await logins.start(deps, op.id),
        httponly=True,
        samesite="Strict",
        secure=request.app[SECURE_COOKIE],
        path="/",
        max_age=30 * 24 * 3600,
    )
    return response


async def logout(request: web.Request) -> web.Response:
    """Ends this session (its consoles close), or with {"everywhere": true} every session of
    its operator."""
    deps = request.app[DEPS]
    key = logins.session_key(request.cookies.get(COOKIE))
    everywhere = False
    if request.content_type == "application/json":
        everywhere = (await json_object(request)).get("everywhere") is True
    if everywhere:
        op = await logins.operator(deps, key)
        if op is not None:
            await logins.end_all(deps, op.id)
    await logins.end(deps, key)
    response = web.json_response({"ok": True})
    response.del_cookie(COOKIE, path="/")
    return response


async def me(request: web.Request) -> web.Response:
    op = await current_operator(request)
    csrf = request.app[SIGNER].csrf_token(request.cookies.get(COOKIE, ""))
    return web.json_response({"operator": serialize.operator(op), "csrf_token": csrf})


def setup(app: web.Application, deps: Deps, signer: Signer, static_dir: Path, secure: bool) -> None:
    app[DEPS], app[SIGNER], app[STATIC], app[SECURE_COOKIE] = deps, signer, static_dir, secure
    app.router.add_get("/console", page)
    app.router.add_get("/console/", page)
    app.router.add_post("/console/login", login)
    app.router.add_post("/console/logout", logout)
    app.router.add_get("/console/api/me", me)
