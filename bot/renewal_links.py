"""/r/<code>: a renewal reminder's link. It records the click (a read, as the personal page
shown) and sends the browser to the shop's checkout, filled with the licence and the
customer and signed with the shop's checkout secret (bot/renewals.py), so the customer
lands on the payment step with nothing to type. A code that names nothing counts against
the address like a wrong personal-page code."""

from __future__ import annotations

from aiohttp import web

from prilavok.bot import journey_defs, renewals, robots, signals
from prilavok.bot.context import Offers
from prilavok.storage.models import Customer, Journey, JourneyRun, Offer

NOINDEX = {"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}


def _gone(text: str = "Ссылка не найдена") -> web.HTTPNotFound:
    return web.HTTPNotFound(text=text, headers=NOINDEX)


class RenewalLinks:
    def __init__(self, ctx: Offers) -> None:
        self.ctx = ctx

    async def go(self, request: web.Request) -> web.Response:
        code = request.match_info["code"]
        deps = self.ctx.deps
        address = deps.addresses.of_request(request)
        await deps.throttle.check("address_page_codes", address)
        async with deps.sessions() as session:
            d = await signals.by_code(session, code)
            run = await session.get(JourneyRun, d.run_id) if d and d.run_id else None
            licence = run.context.get("licence") if run else None
            if d is None or run is None or not licence:
                await deps.throttle.fail("address_page_codes", address)
                raise _gone()
            offer = await session.get(Offer, d.offer_id)
            journey = await session.get(Journey, offer.journey_id) if offer else None
            customer = await session.get(Customer, d.customer_id)
            if journey is None or customer is None:
                raise _gone()
            url = journey_defs.definition(journey.definition).checkout_url
            key = await renewals.secret(session, journey.shop_id)
        if not url or not key:
            raise _gone("Продление пока не настроено: напишите нам, пожалуйста.")
        # A person's click reads the message; a link checker's fetch records nothing.
        if not robots.is_robot(request.method, request.headers):
            await signals.page_seen(self.ctx, code)
        target = renewals.checkout_target(url, licence, customer, code, self.ctx.clock.now(), key)
        raise web.HTTPFound(target, headers={**NOINDEX, "Cache-Control": "no-store"})

    def register(self, app: web.Application) -> None:
        app.router.add_get(r"/r/{code:[a-z0-9]{1,16}}", self.go)
