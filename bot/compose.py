"""One offer as one channel's message: rendered text, the personal link, buttons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prilavok.bot import links, message_templates
from prilavok.bot.channel_registry import Channel
from prilavok.bot.context import OffersConfig
from prilavok.channels.message import Button, Message
from prilavok.storage.models import Customer, Delivery, Offer, Product

OPEN, CALLBACK, NOT_INTERESTED = "Открыть предложение", "Перезвоните мне", "Не интересно"
UNSUBSCRIBE = "Отписаться"  # from every channel (bot/customers.py opt_out)


@dataclass(frozen=True)
class Outgoing:
    delivery_id: int
    channel: str
    message: Message


def variables(
    customer: Customer,
    product: Product,
    offer: Offer,
    link: str,
    bought: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        # A calendar offer's purchase it follows ("for your phone X"); empty for others.
        "bought": bought or {"title": "", "category": ""},
        "customer": {"name": customer.name, "first_name": customer.name.split()[0]},
        "product": {
            "title": product.title,
            "price": f"{product.price:.2f}".rstrip("0").rstrip(".") if product.price else "",
            "description": product.description,
        },
        "offer": {"title": offer.title},
        "link": link,
    }


async def compose_off_loop(
    config: OffersConfig,
    channel: Channel,
    delivery: Delivery,
    customer: Customer,
    offer: Offer,
    product: Product,
    bought: dict[str, Any] | None = None,
) -> Outgoing:
    """`compose` on the template threads: a template at its limits never holds the event loop."""
    return await message_templates.off_loop(
        compose, config, channel, delivery, customer, offer, product, bought
    )


def compose(
    config: OffersConfig,
    channel: Channel,
    delivery: Delivery,
    customer: Customer,
    offer: Offer,
    product: Product,
    bought: dict[str, Any] | None = None,
) -> Outgoing:
    """The text (the short template where texts are paid by length), cut to what the
    channel takes, with the personal link; buttons for channels that show them."""
    link = links.page_url(config.public_url, delivery.slug, delivery.code)
    source = (offer.sms_template or offer.template) if channel.reach.short else offer.template
    body = message_templates.render(source, variables(customer, product, offer, link, bought))
    text = message_templates.with_link(body, link, channel.transport.fits)
    buttons = (
        (Button(OPEN, url=link),),
        (
            Button(CALLBACK, reply=f"cb:{delivery.code}"),
            Button(NOT_INTERESTED, reply=f"no:{delivery.code}"),
        ),
        (Button(UNSUBSCRIBE, reply=f"stop:{delivery.code}"),),
    )
    to = channel.reach.address(customer) or ""
    return Outgoing(delivery.id, channel.name, Message(to, text, buttons))
