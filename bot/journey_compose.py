"""A journey step's message: its template filled from the run (the order, the cart), similar
goods in stock, and the signed cart-restore link; fitted to the channel like an offer."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.bot import message_templates
from prilavok.bot.channel_registry import Channel
from prilavok.bot.compose import UNSUBSCRIBE, Outgoing
from prilavok.bot.context import OffersConfig
from prilavok.channels.message import Button, Message
from prilavok.storage.models import Customer, Delivery, JourneyRun, Offer, Product

SIMILAR_SHOWN = 3


def _money(value: Any) -> str:
    return f"{float(value or 0):.2f}".rstrip("0").rstrip(".")


def cart_signature(secret: str, run_id: int) -> str:
    return hmac.new(secret.encode(), f"cart:{run_id}".encode(), hashlib.sha256).hexdigest()[:24]


def cart_link(config: OffersConfig, run: JourneyRun) -> str:
    """Our short link; it checks the signature and sends the browser to the shop's URL with
    the cart's items, so nobody opens a cart by guessing a number."""
    return f"{config.public_url}/j/cart/{run.id}-{cart_signature(config.secret, run.id)}"


def renewal_link(config: OffersConfig, d: Delivery) -> str:
    return f"{config.public_url}/r/{d.code}"


def restore_target(cart_url: str, run: JourneyRun, secret: str) -> str:
    items = (run.context.get("cart") or {}).get("items") or []
    listed = ",".join(f"{i['sku']}:{i.get('quantity', 1)}" for i in items)
    sig = cart_signature(secret, run.id)
    return cart_url.replace("{items}", quote(listed, safe=":,")).replace("{sig}", sig)


async def similar(session: AsyncSession, shop_id: str, run: JourneyRun) -> list[dict[str, Any]]:
    """Goods in stock from the cart's categories, not in the cart already."""
    items = (run.context.get("cart") or {}).get("items") or []
    cats = {i["category"] for i in items if i.get("category")}
    if not cats:
        return []
    in_cart = {i["sku"] for i in items}
    rows = await session.scalars(
        select(Product)
        .where(Product.shop_id == shop_id, Product.category.in_(cats), Product.stock > 0)
        .order_by(Product.id)
        .limit(SIMILAR_SHOWN + len(in_cart))
    )
    found = [p for p in rows if p.sku not in in_cart][:SIMILAR_SHOWN]
    return [{"title": p.title, "price": _money(p.price), "url": p.product_url or ""} for p in found]


def variables(
    customer: Customer,
    run: JourneyRun,
    found: list[dict[str, Any]],
    link: str,
    contact: str,
    today: date | None = None,
) -> dict[str, Any]:
    order = dict(run.context.get("order") or {})
    order["total"] = _money(order.get("total"))
    for key in ("status", "delivery_time", "courier", "call_time"):
        order.setdefault(key, "")
    cart = run.context.get("cart") or {}
    items = [{**i, "price": _money(i.get("price"))} for i in cart.get("items", [])]
    licence = dict(run.context.get("licence") or {})
    if licence.get("ends_on"):
        end = date.fromisoformat(licence["ends_on"])
        licence["ends_on"] = end.strftime("%d.%m.%Y")
        licence["days_left"] = (end - today).days if today else None
    return {
        "customer": {"name": customer.name, "first_name": customer.name.split()[0]},
        "order": order,
        "cart": {"total": _money(cart.get("total")), "count": len(items), "items": items},
        "similar": found,
        "link": link,
        "shop": {"contact": contact},
        "licence": licence,
    }


def compose(
    config: OffersConfig,
    channel: Channel,
    d: Delivery,
    customer: Customer,
    offer: Offer,
    run: JourneyRun,
    found: list[dict[str, Any]],
    cart_url: str | None,
    contact: str,
) -> Outgoing:
    link = cart_link(config, run) if cart_url and run.context.get("cart") else ""
    if run.context.get("licence"):  # the prefilled checkout, through /r/<code>
        link = renewal_link(config, d)
    today = d.not_before.date()
    source = (offer.sms_template or offer.template) if channel.reach.short else offer.template
    body = message_templates.render(source, variables(customer, run, found, link, contact, today))
    fits = channel.transport.fits
    text = message_templates.with_link(body, link, fits) if link else body
    # A marketing message can be refused with a button; a service one needs no consent.
    buttons = (
        ((Button(UNSUBSCRIBE, reply=f"stop:{d.code}"),),) if offer.purpose == "marketing" else ()
    )
    to = channel.reach.address(customer) or ""
    return Outgoing(d.id, channel.name, Message(to, text, buttons))
