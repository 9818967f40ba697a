"""One offer as one channel's message: rendered text, the personal link, buttons."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prilavok.bot import links, message_templates
from prilavok.bot.context import OffersConfig
from prilavok.channels import viber
from prilavok.channels.telegram_button import Button
from prilavok.storage.models import Customer, Delivery, Offer, Product

OPEN, CALLBACK, NOT_INTERESTED = "Открыть предложение", "Перезвоните мне", "Не интересно"
UNSUBSCRIBE = "Отписаться"  # from every channel (bot/customers.py opt_out)


@dataclass
class Outgoing:
    delivery_id: int
    channel: str
    address: str  # chat id, Viber user id or phone
    text: str
    telegram_buttons: list[list[Button]] = field(default_factory=list)
    viber_buttons: list[dict[str, Any]] = field(default_factory=list)


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
    channel: str,
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
    channel: str,
    delivery: Delivery,
    customer: Customer,
    offer: Offer,
    product: Product,
    bought: dict[str, Any] | None = None,
) -> Outgoing:
    link = links.page_url(config.public_url, delivery.slug, delivery.code)
    source = (offer.sms_template or offer.template) if channel == "sms" else offer.template
    body = message_templates.render(source, variables(customer, product, offer, link, bought))
    text = message_templates.with_link(
        body, link, message_templates.fits(channel, config.sms_max_segments)
    )
    out = Outgoing(delivery.id, channel, "", text)
    if channel == "telegram":
        out.address = str(customer.telegram_chat_id)
        out.telegram_buttons = [
            [Button(OPEN, url=link)],
            [
                Button(CALLBACK, callback_data=f"cb:{delivery.code}"),
                Button(NOT_INTERESTED, callback_data=f"no:{delivery.code}"),
            ],
            [Button(UNSUBSCRIBE, callback_data=f"stop:{delivery.code}")],
        ]
    elif channel == "viber":
        out.address = customer.viber_user_id or ""
        out.viber_buttons = [
            viber.url_button(OPEN, link),
            viber.reply_button(CALLBACK, f"cb:{delivery.code}"),
            viber.reply_button(NOT_INTERESTED, f"no:{delivery.code}"),
            viber.reply_button(UNSUBSCRIBE, f"stop:{delivery.code}", columns=6),
        ]
    else:
        out.address = customer.phone
    return out
