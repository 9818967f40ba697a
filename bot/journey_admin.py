"""/admin/journeys: the journeys with their reports, editing a journey, the channel prices,
and a customer's timeline; admins only, every change in the audit log."""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web
from sqlalchemy import select

from prilavok.bot import journey_defs, journey_entry, journey_reports
from prilavok.bot.context import Offers
from prilavok.consult.kernel import audit
from prilavok.consult.kernel.errors import ConsultError, not_found
from prilavok.consult.kernel.web_auth import json_object, page_or_login, require_admin
from prilavok.storage.models import ApiKey, Customer, Journey, ShopSetting


def _id(request: web.Request, what: str) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit() or len(raw) > 18:
        raise not_found(what)
    return int(raw)


class JourneyAdmin:
    def __init__(self, ctx: Offers, static_dir: Path) -> None:
        self.ctx = ctx
        self.static_dir = static_dir

    async def page(self, request: web.Request) -> web.StreamResponse:
        return await page_or_login(request, self.static_dir / "admin" / "journeys.html")

    async def listing(self, request: web.Request) -> web.Response:
        await require_admin(request)
        async with self.ctx.deps.write() as session:
            # Every shop with an API key has the shipped journeys, to edit before any event.
            now = self.ctx.clock.now()
            for shop in await session.scalars(select(ApiKey.shop_id).distinct()):
                await journey_entry.shipped(session, shop, now)
        async with self.ctx.deps.sessions() as session:
            found = await session.scalars(select(Journey).order_by(Journey.shop_id, Journey.id))
            reports = {r["id"]: r for r in await journey_reports.report(session)}
            price = await journey_reports.prices(session)
        return web.json_response(
            {
                "journeys": [
                    {
                        "id": j.id,
                        "shop_id": j.shop_id,
                        "key": j.key,
                        "name": j.name,
                        "enabled": j.enabled,
                        "purpose": j.purpose,
                        "holdout_percent": j.holdout_percent,
                        "definition": j.definition,
                        "report": reports.get(j.id),
                    }
                    for j in found
                ],
                "prices": price,
            }
        )

    async def change(self, request: web.Request) -> web.Response:
        admin = await require_admin(request)
        journey_id = _id(request, "journey")
        new = journey_defs.parse(await json_object(request))
        async with self.ctx.deps.write() as session:
            journey = await session.get(Journey, journey_id)
            if journey is None:
                raise not_found("journey")
            journey.name, journey.enabled, journey.purpose = new.name, new.enabled, new.purpose
            journey.holdout_percent = new.holdout_percent
            journey.definition = new.definition.model_dump(mode="json", by_alias=True)
            journey.updated_at = self.ctx.clock.now()
            audit.record(session, admin.login, "journey.change", f"journey {journey.id}")
        return web.json_response({"journey": {"id": journey_id, "name": new.name}})

    async def set_prices(self, request: web.Request) -> web.Response:
        admin = await require_admin(request)
        body = await json_object(request)
        value = {}
        for channel in journey_reports.DEFAULT_PRICES:
            price = body.get(channel, journey_reports.DEFAULT_PRICES[channel])
            if (
                not isinstance(price, int | float)
                or isinstance(price, bool)
                or not (0 <= price <= 1000)
            ):
                raise ConsultError("invalid_payload", f"{channel}: a price from 0 to 1000")
            value[channel] = float(price)
        async with self.ctx.deps.write() as session:
            row = await session.get(ShopSetting, journey_reports.PRICES_KEY)
            if row is None:
                session.add(ShopSetting(key=journey_reports.PRICES_KEY, value=value))
            else:
                row.value = value
            audit.record(session, admin.login, "prices.change", "channels", json.dumps(value))
        return web.json_response({"prices": value})

    async def customer_timeline(self, request: web.Request) -> web.Response:
        await require_admin(request)
        customer_id = _id(request, "customer")
        async with self.ctx.deps.sessions() as session:
            customer = await session.get(Customer, customer_id)
            if customer is None:
                raise not_found("customer")
            runs = await journey_reports.timeline(session, customer_id)
        return web.json_response(
            {"customer": {"id": customer.id, "name": customer.name}, "journeys": runs}
        )

    def register(self, app: web.Application) -> None:
        app.router.add_get("/admin/journeys", self.page)
        app.router.add_get("/admin/api/journeys", self.listing)
        app.router.add_put("/admin/api/journeys/{id}", self.change)
        app.router.add_put("/admin/api/channel-prices", self.set_prices)
        app.router.add_get("/admin/api/customers/{id}/timeline", self.customer_timeline)
