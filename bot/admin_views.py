"""/admin/offers: the report page and its JSON, for admins only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web

from prilavok.bot import api_keys, reports
from prilavok.bot.context import Offers
from prilavok.consult.kernel import http_input
from prilavok.consult.kernel.errors import ConsultError
from prilavok.consult.kernel.web_auth import json_object, page_or_login, require_admin


def _when(raw: str | None, default: datetime, name: str) -> datetime:
    value = http_input.moment(raw, default, name)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class AdminViews:
    def __init__(self, ctx: Offers, static_dir: Path) -> None:
        self.ctx = ctx
        self.static_dir = static_dir

    async def page(self, request: web.Request) -> web.StreamResponse:
        return await page_or_login(request, self.static_dir / "admin" / "offers.html")

    async def keys_page(self, request: web.Request) -> web.StreamResponse:
        return await page_or_login(request, self.static_dir / "admin" / "keys.html")

    async def report(self, request: web.Request) -> web.Response:
        await require_admin(request)
        now = self.ctx.clock.now()
        end = _when(request.query.get("to"), now + timedelta(seconds=1), "to")
        start = _when(request.query.get("from"), end - timedelta(days=30), "from")
        if start >= end:
            raise ConsultError("invalid_payload", "from must be before to")
        return web.json_response(await reports.offers_report(self.ctx.deps, start, end))

    async def list_keys(self, request: web.Request) -> web.Response:
        await require_admin(request)
        return web.json_response({"api_keys": await api_keys.listing(self.ctx.deps)})

    async def create_key(self, request: web.Request) -> web.Response:
        admin = await require_admin(request)
        body = await json_object(request)
        shop, name = body.get("shop_id"), body.get("name", "")
        if not isinstance(shop, str) or not isinstance(name, str):
            raise ConsultError("invalid_payload", "shop_id and name are strings")
        key = await api_keys.create(self.ctx.deps, shop, name, actor=admin.login)
        # The only time the key is shown; afterwards only its prefix.
        return web.json_response({"key": key}, status=201)

    async def revoke_key(self, request: web.Request) -> web.Response:
        admin = await require_admin(request)
        raw = request.match_info["id"]
        if not raw.isdigit() or len(raw) > 18:
            raise ConsultError("not_found", "no such API key", 404)
        revoked = await api_keys.revoke(self.ctx.deps, int(raw), actor=admin.login)
        return web.json_response({"api_key": revoked})

    def register(self, app: web.Application) -> None:
        app.router.add_get("/admin/offers", self.page)
        app.router.add_get("/admin/keys", self.keys_page)
        app.router.add_get("/admin/api/offers/report", self.report)
        app.router.add_get("/admin/api/api-keys", self.list_keys)
        app.router.add_post("/admin/api/api-keys", self.create_key)
        app.router.add_delete("/admin/api/api-keys/{id}", self.revoke_key)
