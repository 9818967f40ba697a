"""The personal page /m/<transliterated-name>-<code>: the product and order / call me back /
remind me later. Every open and press is recorded; customer text is escaped (autoescape)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot import catalog, links, signals, staff
from bot.context import Offers
from consult.errors import ConsultError
from storage.models import Customer, Delivery, Offer, Product

_env = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "html"),
    autoescape=select_autoescape(["html"]),
)


class Pages:
    def __init__(self, ctx: Offers) -> None:
        self.ctx = ctx

    async def _load(self, code: str) -> tuple[Delivery, Customer, Offer, Product | None, bool]:
        async with self.ctx.deps.sessions() as session:
            d = await signals.by_code(session, code)
            if d is None:
                raise web.HTTPNotFound(text="Предложение не найдено")
            customer = await session.get(Customer, d.customer_id)
            offer = await session.get(Offer, d.offer_id)
            assert customer is not None and offer is not None
            shown = await catalog.get(session, offer.shop_id, d.sku or offer.sku)
            now_available = await catalog.available(session, offer.shop_id, offer.sku)
        return d, customer, offer, shown, now_available is not None

    async def _render(self, code: str, status: int = 200, **extra: Any) -> web.Response:
        d, customer, offer, product, available = await self._load(code)
        if product is None:
            raise web.HTTPNotFound(text="Товар больше не продаётся")
        price = f"{product.price:.2f}".rstrip("0").rstrip(".") if product.price else ""
        html = _env.get_template("offer.html").render(
            customer=customer,
            product=product,
            price=price,
            code=d.code,
            available=available,
            substitute=product.sku != offer.sku,
            original_title=offer.title,
            phone=customer.phone,
            **extra,
        )
        return web.Response(text=html, status=status, content_type="text/html")

    async def page(self, request: web.Request) -> web.Response:
        tail = request.match_info["tail"]
        code = links.code_from_tail(tail)
        async with self.ctx.deps.sessions() as session:
            d = await signals.by_code(session, code)
        if d is None:
            raise web.HTTPNotFound(text="Предложение не найдено")
        if tail != f"{d.slug}-{d.code}":
            raise web.HTTPFound(links.page_path(d.slug, d.code))
        await signals.page_opened(self.ctx, code)
        return await self._render(code)

    async def order(self, request: web.Request) -> web.StreamResponse:
        code = request.match_info["code"]
        d = await signals.page_action(self.ctx, code, "order")
        if d is None:
            raise web.HTTPNotFound(text="Предложение не найдено")
        _, _, _, product, available = await self._load(code)
        if product is not None and product.product_url and available:
            sep = "&" if "?" in product.product_url else "?"
            raise web.HTTPSeeOther(f"{product.product_url}{sep}offer={code}")
        return await self._render(code, message="Спасибо! Мы свяжемся с вами для оформления.")

    async def callback(self, request: web.Request) -> web.Response:
        code = request.match_info["code"]
        form = await request.post()
        phone = str(form.get("phone") or "").strip() or None
        async with self.ctx.deps.sessions() as session:
            d = await signals.by_code(session, code)
        if d is None:
            raise web.HTTPNotFound(text="Предложение не найдено")
        try:
            await staff.request_callback(self.ctx, d.id, "offer_page", phone)
        except ConsultError as exc:
            # The page says it in Russian by the code (its table is in offer.html).
            return await self._render(code, status=400, error_code=exc.code)
        await signals.page_action(self.ctx, code, "callback")
        return await self._render(code, message="Спасибо! Мы скоро перезвоним.")

    async def remind(self, request: web.Request) -> web.Response:
        code = request.match_info["code"]
        if await signals.page_action(self.ctx, code, "remind") is None:
            raise web.HTTPNotFound(text="Предложение не найдено")
        days = self.ctx.config.remind_after.days or 1
        return await self._render(code, message=f"Хорошо, напомним через {days} дн.")

    def register(self, app: web.Application) -> None:
        app.router.add_get(r"/m/{tail:[A-Za-z0-9-]{1,120}}", self.page)
        app.router.add_post(r"/m/{code:[a-z0-9]{1,16}}/order", self.order)
        app.router.add_post(r"/m/{code:[a-z0-9]{1,16}}/callback", self.callback)
        app.router.add_post(r"/m/{code:[a-z0-9]{1,16}}/remind", self.remind)
