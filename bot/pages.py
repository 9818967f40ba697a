"""The personal page /m/<transliterated-name>-<code>: the product and order / call me back /
remind me later. Customer text is escaped (autoescape).

Fetching the page is not a read: messengers, mail scanners and antivirus link checkers fetch
every link they see. What counts is a person: the page's own script posts a beacon once the
page is actually shown (bot/html/page.js), or a button on it is pressed. Robots' requests
(bot/robots.py) record nothing at all. Every form and the beacon carry a CSRF token
(bot/page_csrf.py). The page shows the first name only and a masked phone, and asks search
engines not to index it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import phonenumbers
from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from prilavok.bot import catalog, links, page_blocks, page_csrf, robots, signals, staff
from prilavok.bot.context import Offers
from prilavok.consult.kernel import http_input
from prilavok.consult.kernel.errors import ConsultError
from prilavok.storage.models import Customer, Delivery, Offer, Product

_HTML = Path(__file__).resolve().parent / "html"
_env = Environment(loader=FileSystemLoader(_HTML), autoescape=select_autoescape(["html"]))
NOINDEX = {"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}
CODE = r"{code:[a-z0-9]{1,16}}"


def first_name(name: str) -> str:
    return (name.split() or [""])[0]


def masked_phone(phone: str) -> str:
    """+79123456767 → '+7 *** ***-**-67': enough to recognise one's own, useless to others."""
    try:
        country = phonenumbers.parse(phone, None).country_code
    except phonenumbers.NumberParseException:
        country = None
    digits = "".join(c for c in phone if c.isdigit())
    prefix = f"+{country} " if country else ""
    return f"{prefix}*** ***-**-{digits[-2:]}" if len(digits) >= 4 else "***"


def _not_found(text: str = "Предложение не найдено") -> web.HTTPNotFound:
    return web.HTTPNotFound(text=text, headers=NOINDEX)


class Pages:
    def __init__(self, ctx: Offers) -> None:
        self.ctx = ctx

    async def _load(self, code: str) -> tuple[Delivery, Customer, Offer, Product | None, bool]:
        async with self.ctx.deps.sessions() as session:
            d = await signals.by_code(session, code)
            if d is None:
                raise _not_found()
            customer = await session.get(Customer, d.customer_id)
            offer = await session.get(Offer, d.offer_id)
            assert customer is not None and offer is not None
            shown = await catalog.get(session, offer.shop_id, d.sku or offer.sku)
            now_available = await catalog.available(
                session, offer.shop_id, offer.sku or d.sku or ""
            )
        return d, customer, offer, shown, now_available is not None

    async def _known(self, request: web.Request, code: str) -> Delivery:
        """The delivery a code names. Wrong codes are limited per address: past the limit even
        a right one is refused until the window has room, so codes cannot be guessed."""
        deps = self.ctx.deps
        address = deps.addresses.of_request(request)
        await deps.throttle.check("address_page_codes", address)
        async with deps.sessions() as session:
            d = await signals.by_code(session, code)
        if d is None:
            await deps.throttle.fail("address_page_codes", address)
            raise _not_found()
        return d

    async def _render(
        self, request: web.Request, code: str, status: int = 200, **extra: Any
    ) -> web.Response:
        d, customer, offer, product, available = await self._load(code)
        if product is None:
            raise _not_found("Товар больше не продаётся")
        async with self.ctx.deps.sessions() as session:
            more = await page_blocks.blocks(session, d, customer, product)
        token, new_cookie = page_csrf.issue(request, self.ctx.config.secret, d.code)
        price = f"{product.price:.2f}".rstrip("0").rstrip(".") if product.price else ""
        html = _env.get_template("offer.html").render(
            first_name=first_name(customer.name),
            product=product,
            price=price,
            code=d.code,
            available=available,
            substitute=product.sku != offer.sku,
            original_title=offer.title,
            phone=masked_phone(customer.phone),
            csrf=token,
            **more,
            **extra,
        )
        response = web.Response(text=html, status=status, content_type="text/html")
        response.headers.update(NOINDEX)
        response.headers["Cache-Control"] = "no-store"
        if new_cookie:
            page_csrf.remember(request, response, new_cookie)
        return response

    async def _checked(self, request: web.Request) -> tuple[str, Any]:
        """The code of a POST whose CSRF token is right, and its form; else 403."""
        code = request.match_info["code"]
        # Guessing by POST is limited like guessing by GET (a wrong code is a failure).
        await self._known(request, code)
        form = await http_input.form(request)
        given = form.get(page_csrf.FIELD)
        if not page_csrf.valid(request, self.ctx.config.secret, code, str(given or "")):
            raise web.HTTPForbidden(
                text="Страница устарела: откройте ссылку из сообщения ещё раз.", headers=NOINDEX
            )
        return code, form

    async def page(self, request: web.Request) -> web.Response:
        tail = request.match_info["tail"]
        code = links.code_from_tail(tail)
        d = await self._known(request, code)
        if tail != f"{d.slug}-{d.code}":
            raise web.HTTPFound(links.page_path(d.slug, d.code), headers=NOINDEX)
        return await self._render(request, code)

    async def seen(self, request: web.Request) -> web.Response:
        """The beacon: the page's script says the page is shown to a person."""
        code, _ = await self._checked(request)
        if robots.is_robot(request.method, request.headers):
            return web.Response(status=204, headers=NOINDEX)
        if await signals.page_seen(self.ctx, code) is None:
            raise _not_found()
        return web.Response(status=204, headers=NOINDEX)

    async def order(self, request: web.Request) -> web.StreamResponse:
        code, _ = await self._checked(request)
        d = await signals.page_action(self.ctx, code, "order")
        if d is None:
            raise _not_found()
        _, _, _, product, available = await self._load(code)
        if product is not None and product.product_url and available:
            sep = "&" if "?" in product.product_url else "?"
            raise web.HTTPSeeOther(f"{product.product_url}{sep}offer={code}", headers=NOINDEX)
        return await self._render(
            request, code, message="Спасибо! Мы свяжемся с вами для оформления."
        )

    async def callback(self, request: web.Request) -> web.Response:
        code, form = await self._checked(request)
        phone = (form.get("phone") or "").strip()[:100] or None
        d = await self._known(request, code)
        address = self.ctx.deps.addresses.of_request(request)
        try:
            await staff.request_callback(self.ctx, d.id, "offer_page", phone, address)
        except ConsultError as exc:
            # The page says it in its own language by the code (the table is in offer.html).
            return await self._render(request, code, status=exc.http_status, error_code=exc.code)
        await signals.page_action(self.ctx, code, "callback")
        return await self._render(request, code, message="Спасибо! Мы скоро перезвоним.")

    async def remind(self, request: web.Request) -> web.Response:
        code, _ = await self._checked(request)
        if await signals.page_action(self.ctx, code, "remind") is None:
            raise _not_found()
        days = self.ctx.config.remind_after.days or 1
        return await self._render(request, code, message=f"Хорошо, напомним через {days} дн.")

    async def rate(self, request: web.Request) -> web.Response:
        """The last service rated 1 to 5: once a page, a click and a read like any button."""
        code, form = await self._checked(request)
        raw = str(form.get("score") or "")
        if raw not in ("1", "2", "3", "4", "5"):
            return await self._render(request, code, status=400, error_code="invalid_payload")
        if await signals.page_action(self.ctx, code, "rate") is None:
            raise _not_found()
        await page_blocks.rate(self.ctx, code, int(raw))
        return await self._render(request, code, message="Спасибо за оценку!")

    async def script(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(_HTML / "page.js", headers={"Cache-Control": "max-age=3600"})

    def register(self, app: web.Application) -> None:
        app.router.add_get("/m/page.js", self.script)
        app.router.add_get(r"/m/{tail:[A-Za-z0-9-]{1,120}}", self.page)
        app.router.add_post(f"/m/{CODE}/seen", self.seen)
        app.router.add_post(f"/m/{CODE}/order", self.order)
        app.router.add_post(f"/m/{CODE}/callback", self.callback)
        app.router.add_post(f"/m/{CODE}/remind", self.remind)
        app.router.add_post(f"/m/{CODE}/rate", self.rate)
