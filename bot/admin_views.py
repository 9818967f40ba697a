"""/admin/offers: the report page and its JSON, for admins only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web

from bot import reports
from bot.context import Offers
from consult import http_input
from consult.console_views import require_admin
from consult.errors import ConsultError


def _when(raw: str | None, default: datetime, name: str) -> datetime:
    value = http_input.moment(raw, default, name)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class AdminViews:
    def __init__(self, ctx: Offers, static_dir: Path) -> None:
        self.ctx = ctx
        self.static_dir = static_dir

    async def page(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(self.static_dir / "admin" / "offers.html")

    async def report(self, request: web.Request) -> web.Response:
        await require_admin(request)
        now = self.ctx.clock.now()
        end = _when(request.query.get("to"), now + timedelta(seconds=1), "to")
        start = _when(request.query.get("from"), end - timedelta(days=30), "from")
        if start >= end:
            raise ConsultError("invalid_payload", "from must be before to")
        return web.json_response(await reports.offers_report(self.ctx.deps, start, end))

    def register(self, app: web.Application) -> None:
        app.router.add_get("/admin/offers", self.page)
        app.router.add_get("/admin/api/offers/report", self.report)
