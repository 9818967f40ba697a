"""Viber's callbacks: signed with HMAC-SHA256 of the raw body keyed by the bot's token.

An unsigned or wrongly signed call gets 403 and changes nothing. Bodies are parsed with
viberbot's request classes.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re

from aiohttp import web
from sqlalchemy import select, update
from viberbot.api.messages import TextMessage
from viberbot.api.viber_requests import (
    ViberConversationStartedRequest,
    ViberDeliveredRequest,
    ViberFailedRequest,
    ViberMessageRequest,
    ViberSeenRequest,
    ViberSubscribedRequest,
    ViberUnsubscribedRequest,
    create_request,
)

from prilavok.bot import customers, signals, staff
from prilavok.bot.context import Offers
from prilavok.bot.delivery_states import Reason, State
from prilavok.consult.kernel.errors import ConsultError
from prilavok.consult.kernel.http_input import parse_json
from prilavok.storage.models import Customer, Delivery

log = logging.getLogger(__name__)

SIGNATURE = "X-Viber-Content-Signature"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
BUTTON = re.compile(r"^(cb|no|stop):([a-z0-9]{1,16})$")
WELCOME = (
    "Здравствуйте! Чтобы получать здесь персональные предложения магазина, нажмите "
    "«Подписаться» внизу или напишите нам что-нибудь. Отписаться: «стоп»."
)
WELCOME_SUBSCRIBED = "Готово! Сюда будут приходить персональные предложения. Отписаться: «стоп»."
HELLO = "Здравствуйте! Это чат магазина с персональными предложениями."


def signature(token: str, body: bytes) -> str:
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def signed(token: str, body: bytes, given: str | None) -> bool:
    return bool(token and given) and hmac.compare_digest(signature(token, body), given or "")


def _check_fields(event: object) -> None:
    """viberbot copies fields without looking at their types: the ones we use must be what
    Viber sends (ids are short strings, tokens numbers, texts strings)."""
    ids = [getattr(event, "user_id", "")]
    for holder in ("user", "sender"):
        ids.append(getattr(getattr(event, holder, None), "id", ""))
    token = getattr(event, "message_token", 0)
    context = getattr(event, "context", None)
    message = getattr(event, "message", None)
    text = message.text if isinstance(message, TextMessage) else ""
    if (
        not all(isinstance(i, str | None) and len(i or "") <= 64 for i in ids)
        or not isinstance(token, int | str | None)
        or not isinstance(context, str | None)
        or not isinstance(text, str | None)
        or not isinstance(getattr(event, "desc", None), str | None)
    ):
        raise ConsultError("invalid_payload", "a Viber callback with fields of the wrong type")


class ViberWebhook:
    def __init__(self, ctx: Offers) -> None:
        self.ctx = ctx

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not signed(self.ctx.config.viber_token, body, request.headers.get(SIGNATURE)):
            raise ConsultError("bad_signature", "missing or wrong X-Viber-Content-Signature", 403)
        data = parse_json(body)
        try:
            event = create_request(data)
        except Exception:  # viberbot raises bare Exception/KeyError on a malformed body
            raise ConsultError("invalid_payload", "not a Viber callback") from None
        _check_fields(event)
        welcome = await self.dispatch(event)
        if welcome is not None:
            # The one message Viber lets a bot send before the user subscribes: in the answer
            # to conversation_started (the API is not allowed to send it).
            return web.json_response(welcome)
        return web.json_response({"status": 0})

    async def dispatch(self, event: object) -> dict[str, object] | None:
        """Handles one callback; returns the welcome message to answer with, if any."""
        ctx = self.ctx
        if isinstance(event, ViberSeenRequest):
            await signals.viber_seen(ctx, event.user_id, str(event.message_token))
        elif isinstance(event, ViberDeliveredRequest):
            await signals.viber_delivered(ctx, event.user_id, str(event.message_token))
        elif isinstance(event, ViberFailedRequest):
            await signals.viber_failed(ctx, event.user_id, str(event.message_token), event.desc)
        elif isinstance(event, ViberUnsubscribedRequest):
            for customer_id in await self._customers(event.user_id):
                await customers.opt_out(ctx, customer_id, "viber", "unsubscribed", left_viber=True)
        elif isinstance(event, ViberSubscribedRequest):
            await customers.viber_subscribed(ctx, event.user.id)
        elif isinstance(event, ViberConversationStartedRequest):
            return await self._started(event)
        elif isinstance(event, ViberMessageRequest):
            await self._message(event)
        return None

    async def _started(self, event: ViberConversationStartedRequest) -> dict[str, object]:
        customer = None
        if event.context and TOKEN.match(event.context):
            subscribed = bool(event.subscribed)
            customer = await customers.link_viber(
                self.ctx, event.context, event.user.id, subscribed
            )
        text = (WELCOME_SUBSCRIBED if event.subscribed else WELCOME) if customer else HELLO
        sender = self.ctx.viber.sender_name if self.ctx.viber else "Prilavok"
        return {"sender": {"name": sender}, "type": "text", "text": text}

    async def _customers(self, user_id: str) -> list[int]:
        async with self.ctx.deps.sessions() as session:
            return list(
                await session.scalars(select(Customer.id).where(Customer.viber_user_id == user_id))
            )

    async def _message(self, event: ViberMessageRequest) -> None:
        user_id = event.sender.id
        text = event.message.text.strip() if isinstance(event.message, TextMessage) else ""
        ids = await self._customers(user_id)
        if ids:
            async with self.ctx.deps.write() as session:
                now = self.ctx.clock.now()
                await session.execute(
                    update(Customer).where(Customer.id.in_(ids)).values(viber_replied_at=now)
                )
                # A reply lifts Viber's hourly limit: offers held by it may go now.
                await session.execute(
                    update(Delivery)
                    .where(
                        Delivery.customer_id.in_(ids),
                        Delivery.state == State.SCHEDULED,
                        Delivery.reason == Reason.VIBER_HOURLY_LIMIT,
                    )
                    .values(not_before=now)
                )
        button = BUTTON.match(text)
        if customers.is_stop(text) or (button and button[1] == "stop"):
            how = "unsubscribe button" if button else f"stop word {text[:20]!r}"
            for customer_id in ids:
                await customers.opt_out(self.ctx, customer_id, "viber", how)
            return
        if TOKEN.match(text) and not ids:  # a customer may paste their link token
            # Writing to the bot subscribes the user to it.
            if await customers.link_viber(self.ctx, text, user_id, subscribed=True):
                await customers.viber_subscribed(self.ctx, user_id)
            return
        if ids:  # writing to the bot subscribes the user to it
            await customers.viber_subscribed(self.ctx, user_id)
        if button:
            action = "callback" if button[1] == "cb" else "not_interested"
            d = await signals.viber_button(self.ctx, button[2], user_id, action)
            if d is not None and action == "callback":
                try:
                    await staff.request_callback(self.ctx, d.id, "viber")
                except ConsultError as exc:
                    log.warning("callback from viber refused: %s", exc.message)
