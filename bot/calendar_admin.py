"""/admin/calendar: the offer calendar's rules (add, change, remove), the period between two
offers to one customer, a planning pass on demand, and the lifecycle reports with their CSV;
admins only, every change in the audit log."""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web
from sqlalchemy import select

from prilavok.bot import calendar_defs, calendar_plan, calendar_reports
from prilavok.bot.context import Offers
from prilavok.consult import audit, payloads
from prilavok.consult.errors import ConsultError, not_found
from prilavok.consult.web_auth import json_object, page_or_login, require_admin
from prilavok.storage.models import CalendarRule, ShopSetting


def _id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit() or len(raw) > 18:
        raise not_found("rule")
    return int(raw)


class CalendarAdmin:
    def __init__(self, ctx: Offers, static_dir: Path) -> None:
        self.ctx = ctx
        self.static_dir = static_dir

    async def page(self, request: web.Request) -> web.StreamResponse:
        return await page_or_login(request, self.static_dir / "admin" / "calendar.html")

    async def listing(self, request: web.Request) -> web.Response:
        await require_admin(request)
        async with self.ctx.deps.sessions() as session:
            rules = await session.scalars(
                select(CalendarRule).order_by(CalendarRule.shop_id, CalendarRule.id)
            )
            out = [calendar_defs.as_dict(r) for r in rules]
            periods = {}
            for shop in sorted({r["shop_id"] for r in out}):
                periods[shop] = (await calendar_plan.period(session, shop)).days
        return web.json_response({"rules": out, "periods": periods})

    async def create(self, request: web.Request) -> web.Response:
        admin = await require_admin(request)
        spec = calendar_defs.parse(await json_object(request))
        async with self.ctx.deps.write() as session:
            row = CalendarRule(updated_at=self.ctx.clock.now())
            calendar_defs.apply(row, spec)
            session.add(row)
            await session.flush()
            audit.record(session, admin.login, "calendar.add", f"rule {row.id}", spec.name)
            answer = calendar_defs.as_dict(row)
        return web.json_response({"rule": answer}, status=201)

    async def change(self, request: web.Request) -> web.Response:
        admin = await require_admin(request)
        rule_id = _id(request)
        spec = calendar_defs.parse(await json_object(request))
        async with self.ctx.deps.write() as session:
            row = await session.get(CalendarRule, rule_id)
            if row is None:
                raise not_found("rule")
            calendar_defs.apply(row, spec)
            row.updated_at = self.ctx.clock.now()
            audit.record(session, admin.login, "calendar.change", f"rule {row.id}", spec.name)
            answer = calendar_defs.as_dict(row)
        return web.json_response({"rule": answer})

    async def remove(self, request: web.Request) -> web.Response:
        admin = await require_admin(request)
        rule_id = _id(request)
        async with self.ctx.deps.write() as session:
            row = await session.get(CalendarRule, rule_id)
            if row is None:
                raise not_found("rule")
            # Off rather than deleted: its plans stay for the report.
            row.enabled = False
            audit.record(session, admin.login, "calendar.remove", f"rule {row.id}", row.name)
        return web.json_response({"rule": {"id": rule_id, "enabled": False}})

    async def set_period(self, request: web.Request) -> web.Response:
        admin = await require_admin(request)
        spec = payloads.parse(calendar_defs.CalendarSettingsIn, await json_object(request))
        key = calendar_defs.SETTINGS_KEY.format(shop=spec.shop_id)
        value = {"period_days": spec.period_days}
        async with self.ctx.deps.write() as session:
            row = await session.get(ShopSetting, key)
            if row is None:
                session.add(ShopSetting(key=key, value=value))
            else:
                row.value = value
            audit.record(session, admin.login, "calendar.period", spec.shop_id, json.dumps(value))
        return web.json_response({"settings": {"shop_id": spec.shop_id, **value}})

    async def plan_now(self, request: web.Request) -> web.Response:
        await require_admin(request)
        shop = (await json_object(request)).get("shop_id")
        if not isinstance(shop, str) or not 0 < len(shop) <= 64:
            raise ConsultError("invalid_payload", "shop_id: a string of 1 to 64 characters")
        counts = await calendar_plan.plan(self.ctx, shop)
        return web.json_response({"planned": counts.answer()})

    async def report(self, request: web.Request) -> web.Response:
        await require_admin(request)
        async with self.ctx.deps.sessions() as session:
            rows = await calendar_reports.report(session)
        return web.json_response({"rules": rows})

    async def report_csv(self, request: web.Request) -> web.Response:
        """Every journey and every calendar rule, one line each (Excel opens it as is)."""
        await require_admin(request)
        async with self.ctx.deps.sessions() as session:
            text = await calendar_reports.csv_export(session)
        return web.Response(
            body=text.encode("utf-8-sig"),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": 'attachment; filename="lifecycle-report.csv"'},
        )

    def register(self, app: web.Application) -> None:
        app.router.add_get("/admin/calendar", self.page)
        app.router.add_get("/admin/calendar/report.csv", self.report_csv)
        app.router.add_get("/admin/api/calendar/rules", self.listing)
        app.router.add_post("/admin/api/calendar/rules", self.create)
        app.router.add_put("/admin/api/calendar/rules/{id}", self.change)
        app.router.add_delete("/admin/api/calendar/rules/{id}", self.remove)
        app.router.add_put("/admin/api/calendar/settings", self.set_period)
        app.router.add_post("/admin/api/calendar/plan", self.plan_now)
        app.router.add_get("/admin/api/calendar/report", self.report)
