"""A "call me back" reaches staff at once: a console task and a line in the staff Telegram chat."""

from __future__ import annotations

import logging
from typing import Any

from prilavok.bot import links
from prilavok.bot.context import Offers
from prilavok.channels.errors import ChannelError
from prilavok.channels.message import Message
from prilavok.consult import tasks
from prilavok.consult.kernel.errors import ConsultError
from prilavok.storage.models import Customer, Delivery, Offer

log = logging.getLogger(__name__)


async def request_callback(
    ctx: Offers,
    delivery_id: int,
    source: str,
    phone: str | None = None,
    address: str | None = None,
) -> dict[str, Any]:
    async with ctx.deps.sessions() as session:
        d = await session.get(Delivery, delivery_id)
        if d is None:
            raise ConsultError("not_found", "offer not found", 404)
        customer = await session.get(Customer, d.customer_id)
        offer = await session.get(Offer, d.offer_id)
        assert customer is not None and offer is not None
    url = links.page_url(ctx.config.public_url, d.slug, d.code)
    task = await tasks.create(
        ctx.deps,
        tasks.NewTask(
            "callback",
            source,
            name=customer.name,
            phone=phone or customer.phone,
            customer_ref=f"customer:{customer.id}",
            page_url=url,
            text=f"Оффер «{offer.title}» ({d.code})",
            address=address,
        ),
    )
    await tell_staff(ctx, f"Перезвонить: {customer.name}, {task['phone']} — «{offer.title}» {url}")
    return task


async def tell_staff(ctx: Offers, text: str) -> None:
    chat = ctx.config.telegram_staff_chat_id
    if ctx.telegram is None or chat is None:
        return
    try:
        await ctx.telegram.send(Message(str(chat), text))
    except ChannelError:  # the console task is already there; the chat line is a courtesy
        log.warning("could not tell the staff chat", exc_info=True)
