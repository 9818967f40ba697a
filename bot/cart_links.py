"""The abandoned-cart link: /j/cart/<run>-<signature> sends the browser to the shop's
cart-restore URL with that cart's items. A wrong signature opens nothing."""

from __future__ import annotations

import hmac

from aiohttp import web
from sqlalchemy import select

from prilavok.bot import journey_compose, journey_defs
from prilavok.bot.context import Offers
from prilavok.consult.kernel.errors import not_found
from prilavok.storage.models import Delivery, Journey, JourneyRun


class CartLinks:
    def __init__(self, ctx: Offers) -> None:
        self.ctx = ctx

    async def restore(self, request: web.Request) -> web.Response:
        run_part, _, sig = request.match_info["tail"].partition("-")
        if not run_part.isdigit() or len(run_part) > 18:
            raise not_found("cart")
        run_id = int(run_part)
        expected = journey_compose.cart_signature(self.ctx.config.secret, run_id)
        if not hmac.compare_digest(expected, sig):
            raise not_found("cart")
        async with self.ctx.deps.write() as session:
            run = await session.get(JourneyRun, run_id)
            journey = await session.get(Journey, run.journey_id) if run else None
            if run is None or journey is None:
                raise not_found("cart")
            cart_url = journey_defs.definition(journey.definition).cart_url
            if not cart_url:
                raise not_found("cart")
            # The latest message sent with this link counts the click (the journey's report).
            last = await session.scalar(
                select(Delivery)
                .where(Delivery.run_id == run.id, Delivery.sent_at.is_not(None))
                .order_by(Delivery.id.desc())
                .limit(1)
            )
            if last is not None and last.clicked_at is None:
                last.clicked_at = self.ctx.clock.now()
        target = journey_compose.restore_target(cart_url, run, self.ctx.config.secret)
        raise web.HTTPFound(target, headers={"Referrer-Policy": "no-referrer"})

    def register(self, app: web.Application) -> None:
        app.router.add_get("/j/cart/{tail}", self.restore)
