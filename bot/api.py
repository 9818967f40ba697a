"""The shop's REST API (docs/offers-api.md): customers, catalog, offers, orders. Every call
carries the shop's API key; a bad request is refused whole and changes nothing."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from prilavok.bot import (
    api_keys,
    catalog,
    customers,
    licence_csv,
    message_templates,
    order_csv,
    orders,
    planning,
    renewals,
    shop_events,
    yml_feed,
)
from prilavok.bot.context import Offers
from prilavok.consult.kernel import http_input
from prilavok.consult.kernel.errors import ConsultError, not_found
from prilavok.consult.kernel.web_auth import json_object
from prilavok.storage.models import Customer, Delivery, OfferEvent

# The customer's latest deliveries shown with their state and reason.
RECENT_DELIVERIES = 50
CSV_MAX = 32 * 2**20


class Api:
    def __init__(
        self, ctx: Offers, intake: shop_events.Intake, feeds: yml_feed.FeedSchedule
    ) -> None:
        self.ctx = ctx
        self.intake = intake
        self.feeds = feeds

    async def _shop(self, request: web.Request) -> str:
        auth = request.headers.get("Authorization", "")
        key = auth[7:].strip() if auth.startswith("Bearer ") else request.headers.get("X-Api-Key")
        return await api_keys.shop_for(self.ctx.deps, key)

    async def put_customers(self, request: web.Request) -> web.Response:
        shop = await self._shop(request)
        items = customers.parse_batch(shop, (await json_object(request)).get("customers"))
        saved = await customers.upsert(self.ctx, shop, items)
        return web.json_response({"customers": [customers.as_dict(c, self.ctx) for c in saved]})

    async def get_customer(self, request: web.Request) -> web.Response:
        shop = await self._shop(request)
        customer_id = http_input.path_id(request, "customer")
        async with self.ctx.deps.sessions() as session:
            customer = await session.get(Customer, customer_id)
            if customer is None or customer.shop_id != shop:
                raise not_found("customer")
            history = await session.scalars(
                select(OfferEvent)
                .where(
                    OfferEvent.customer_id == customer_id,
                    OfferEvent.kind.in_(("switch", "opt_out", "consent", "link")),
                )
                .order_by(OfferEvent.id)
            )
            recent = await session.scalars(
                select(Delivery)
                .where(Delivery.customer_id == customer_id)
                .order_by(Delivery.id.desc())
                .limit(RECENT_DELIVERIES)
            )
            data = customers.as_dict(customer, self.ctx)
            data["history"] = [
                {"kind": e.kind, "channel": e.channel, "detail": e.detail, "at": e.at.isoformat()}
                for e in history
            ]
            data["deliveries"] = [
                {
                    "offer_id": d.offer_id,
                    "attempt": d.attempt,
                    "channel": d.channel,
                    "state": d.state,
                    "reason": d.reason,
                    "not_before": d.not_before.isoformat(),
                    "sent_at": d.sent_at.isoformat() if d.sent_at else None,
                }
                for d in recent
            ]
        return web.json_response({"customer": data})

    async def put_catalog(self, request: web.Request) -> web.Response:
        shop = await self._shop(request)
        items = catalog.parse_batch((await json_object(request)).get("products"))
        return web.json_response({"saved": await catalog.upsert(self.ctx, shop, items)})

    async def post_yml(self, request: web.Request) -> web.Response:
        """The feed as the body, read in chunks (not limited by the JSON body size)."""
        shop = await self._shop(request)
        done = await yml_feed.load(self.ctx, shop, request.content.iter_chunked(65536))
        return web.json_response({"imported": done.answer()})

    async def put_yml_source(self, request: web.Request) -> web.Response:
        shop = await self._shop(request)
        body = await json_object(request)
        url, every = body.get("url"), body.get("every_minutes", 60)
        if not isinstance(url, str) or not isinstance(every, int) or isinstance(every, bool):
            raise ConsultError("invalid_payload", "url: a string; every_minutes: an integer")
        return web.json_response({"source": await self.feeds.set_source(shop, url, every)})

    async def post_offer(self, request: web.Request) -> web.Response:
        shop = await self._shop(request)
        # The template's test render runs off the event loop, like every render.
        new = await message_templates.off_loop(planning.parse, await json_object(request))
        planned = await planning.create(self.ctx, shop, new)
        return web.json_response({"offer": planned.answer()}, status=201)

    async def get_offer(self, request: web.Request) -> web.Response:
        shop = await self._shop(request)
        offer_id = http_input.path_id(request, "offer")
        return web.json_response({"offer": await planning.summary(self.ctx, shop, offer_id)})

    async def post_order(self, request: web.Request) -> web.Response:
        shop = await self._shop(request)
        order, new = await orders.record(self.ctx, shop, orders.parse(await json_object(request)))
        return web.json_response({"order": order}, status=201 if new else 200)

    async def post_events(self, request: web.Request) -> web.Response:
        shop = await self._shop(request)
        answer = await self.intake.take(shop, await json_object(request))
        new = any(a["status"] == "new" for a in answer)
        return web.json_response({"events": answer}, status=201 if new else 200)

    async def post_licences_csv(self, request: web.Request) -> web.Response:
        """1C's export of licences as the body (text/csv), read up to CSV_MAX bytes."""
        shop = await self._shop(request)
        data = await self._csv_body(request)
        counts = await licence_csv.load(self.intake, shop, licence_csv.events(data))
        return web.json_response({"imported": counts}, status=201 if counts["new"] else 200)

    async def post_orders_csv(self, request: web.Request) -> web.Response:
        """1C's export of past orders (an item a row): the offer calendar's history."""
        shop = await self._shop(request)
        data = await self._csv_body(request)
        counts = await licence_csv.load(self.intake, shop, order_csv.events(data))
        return web.json_response({"imported": counts}, status=201 if counts["new"] else 200)

    async def _csv_body(self, request: web.Request) -> bytes:
        data = bytearray()
        async for chunk in request.content.iter_chunked(65536):
            data += chunk
            if len(data) > CSV_MAX:
                raise ConsultError("too_large", f"at most {CSV_MAX // 2**20} MiB", 413)
        return bytes(data)

    async def put_checkout_secret(self, request: web.Request) -> web.Response:
        """The key the shop's checkout verifies renewal links with (HMAC-SHA256)."""
        shop = await self._shop(request)
        value = (await json_object(request)).get("secret")
        if not isinstance(value, str) or not (renewals.MIN_SECRET <= len(value) <= 200):
            raise ConsultError(
                "invalid_payload", f"secret: {renewals.MIN_SECRET} to 200 characters"
            )
        async with self.ctx.deps.write() as session:
            await renewals.set_secret(session, shop, value)
        return web.json_response({"checkout_secret": {"set": True}})

    def register(self, app: web.Application) -> None:
        app.router.add_post("/api/v1/licences/csv", self.post_licences_csv)
        app.router.add_post("/api/v1/orders/csv", self.post_orders_csv)
        app.router.add_put("/api/v1/checkout-secret", self.put_checkout_secret)
        app.router.add_post("/api/v1/events", self.post_events)
        app.router.add_post("/api/v1/customers", self.put_customers)
        app.router.add_get("/api/v1/customers/{id}", self.get_customer)
        app.router.add_post("/api/v1/catalog", self.put_catalog)
        app.router.add_post("/api/v1/catalog/yml", self.post_yml)
        app.router.add_put("/api/v1/catalog/yml-source", self.put_yml_source)
        app.router.add_post("/api/v1/offers", self.post_offer)
        app.router.add_get("/api/v1/offers/{id}", self.get_offer)
        app.router.add_post("/api/v1/orders", self.post_order)
