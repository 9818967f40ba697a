"""Customers: bulk upsert from the API or a CSV, consent and opt-outs, messenger linking."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.bot import delivery_states as states
from prilavok.bot import events, fallback, links
from prilavok.bot.context import Offers
from prilavok.bot.delivery_states import Reason, State
from prilavok.consult.kernel import http_input, payloads
from prilavok.consult.kernel.errors import ConsultError
from prilavok.consult.kernel.phones import normalize
from prilavok.storage.models import Customer, Delivery

CHANNELS = ("telegram", "viber", "sms")
# A message that is one of these (any case, surrounding spaces ignored) is a stop: in
# Telegram and Viber alike. docs/offers-api.md lists them.
STOP_WORDS = frozenset({"/stop", "stop", "стоп", "отписаться", "unsubscribe", "отписка"})
MAX_BATCH = 5000


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    shop_id: str | None = Field(default=None, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    phone: str = Field(min_length=3, max_length=40)
    timezone: str = "Europe/Moscow"
    # Marketing consent, per channel.
    consent: dict[Literal["telegram", "viber", "sms"], bool] = Field(default_factory=dict)
    # Service messages (order status) need no consent; False records the customer's refusal.
    service: bool | None = None
    external_id: str | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return http_input.zone_name(value)


def parse_batch(shop_id: str, items: Any) -> list[CustomerIn]:
    """Validates everything first: one bad row refuses the batch and changes nothing."""
    if not isinstance(items, list) or not items:
        raise ConsultError("invalid_payload", "customers: a non-empty list")
    if len(items) > MAX_BATCH:
        raise ConsultError("too_many", f"at most {MAX_BATCH} customers a request")
    parsed: list[CustomerIn] = []
    for i, item in enumerate(items):
        one = payloads.parse(CustomerIn, item, f"customers[{i}]")
        if one.shop_id not in (None, shop_id):
            raise ConsultError("forbidden", f"customers[{i}]: another shop's customer", 403)
        try:
            phone = normalize(one.phone)
        except ConsultError as exc:
            raise ConsultError(exc.code, f"customers[{i}].phone: {exc.message}") from None
        parsed.append(one.model_copy(update={"phone": phone, "shop_id": shop_id}))
    return parsed


async def upsert(ctx: Offers, shop_id: str, items: list[CustomerIn]) -> list[Customer]:
    now = ctx.clock.now()
    out: list[Customer] = []
    async with ctx.deps.write() as session:
        known: dict[str, Customer] = {}
        phones = [item.phone for item in items]
        for start in range(0, len(phones), 500):
            found = await session.scalars(
                select(Customer).where(
                    Customer.shop_id == shop_id, Customer.phone.in_(phones[start : start + 500])
                )
            )
            known.update((c.phone, c) for c in found)
        for item in items:
            customer = known.get(item.phone)
            if customer is None:
                customer = Customer(
                    shop_id=shop_id,
                    phone=item.phone,
                    name=item.name,
                    timezone=item.timezone,
                    link_token=links.new_link_token(),
                    consent_telegram=False,
                    consent_viber=False,
                    consent_sms=False,
                    unread_streak=0,
                    exhausted="",
                    telegram_blocked=False,
                    created_at=now,
                )
                session.add(customer)
                await session.flush()
                known[item.phone] = customer
            customer.name, customer.timezone, customer.updated_at = item.name, item.timezone, now
            if item.external_id and item.external_id != customer.external_id:
                await _take_external_id(session, shop_id, customer, item.external_id)
            for channel, given in item.consent.items():
                await set_consent(session, customer, channel, given, now, how="api")
            if item.service is not None:
                set_service(session, customer, item.service, now, how="api")
            out.append(customer)
    return out


async def _take_external_id(
    session: AsyncSession, shop_id: str, customer: Customer, external_id: str
) -> None:
    other = await session.scalar(
        select(Customer.id).where(
            Customer.shop_id == shop_id,
            Customer.external_id == external_id,
            Customer.id != customer.id,
        )
    )
    if other is not None:
        raise ConsultError("conflict", f"external_id {external_id!r} is another customer's", 409)
    customer.external_id = external_id


def set_service(
    session: AsyncSession, customer: Customer, allowed: bool, at: datetime, how: str
) -> None:
    """Service messages allowed or refused: apart from marketing, which this never touches."""
    if (customer.service_opted_out_at is None) == allowed:
        return
    customer.service_opted_out_at = None if allowed else at
    kind = "consent" if allowed else "opt_out"
    events.record(session, customer.id, kind, at, detail=f"service ({how})")


async def set_consent(
    session: AsyncSession, customer: Customer, channel: str, given: bool, at: datetime, how: str
) -> None:
    attr = f"consent_{channel}"
    if bool(getattr(customer, attr)) == given:
        return
    setattr(customer, attr, given)
    if given:
        if how == "api":  # the shop recorded new consent: a stop said earlier is over
            customer.opted_out_at = None
        events.record(session, customer.id, "consent", at, channel=channel, detail=how)
        return
    last = await session.scalar(
        select(Delivery.id)
        .where(Delivery.customer_id == customer.id, Delivery.channel == channel)
        .order_by(Delivery.id.desc())
        .limit(1)
    )
    events.record(
        session, customer.id, "opt_out", at, channel=channel, delivery_id=last, detail=how
    )
    if customer.channel == channel:
        fallback.give_up(session, customer, channel, f"opted out ({how})", at, last)


def is_stop(text: str) -> bool:
    return text.strip().lower() in STOP_WORDS


async def opt_out(
    ctx: Offers, customer_id: int, channel: str, how: str, *, left_viber: bool = False
) -> None:
    """A stop said in `channel` (a stop word, the unsubscribe button, Viber's unsubscribe):
    no marketing in ANY channel until the shop records new consent through the API. Offers
    still waiting fail at once with reason opted_out."""
    now = ctx.clock.now()
    async with ctx.deps.write() as session:
        customer = await session.get(Customer, customer_id, with_for_update=True)
        if customer is None:
            return
        last = await session.scalar(
            select(Delivery.id)
            .where(Delivery.customer_id == customer.id, Delivery.channel == channel)
            .order_by(Delivery.id.desc())
            .limit(1)
        )
        if customer.opted_out_at is None:
            events.record(
                session, customer.id, "opt_out", now, channel=channel, delivery_id=last,
                detail=f"{how}: every channel",
            )  # fmt: skip
        customer.opted_out_at = customer.opted_out_at or now
        for c in CHANNELS:
            setattr(customer, f"consent_{c}", False)
        customer.channel, customer.unread_streak = None, 0
        if left_viber:  # Viber's unsubscribe: no longer subscribed to the bot either
            customer.viber_subscribed = False
        await session.execute(
            states.update(State.FAILED, (State.SCHEDULED,), Reason.OPTED_OUT, how).where(
                Delivery.customer_id == customer.id
            )
        )


async def by_token(session: AsyncSession, token: str) -> Customer | None:
    if not token or len(token) > 64:
        return None
    return await session.scalar(select(Customer).where(Customer.link_token == token))


async def link_telegram(ctx: Offers, token: str, chat_id: int) -> Customer | None:
    """/start <token>: the customer asked for our messages here, which is their consent."""
    now = ctx.clock.now()
    async with ctx.deps.write() as session:
        customer = await by_token(session, token)
        if customer is None:
            return None
        customer.telegram_chat_id, customer.telegram_blocked = chat_id, False
        customer.exhausted = ",".join(c for c in customer.exhausted.split(",") if c != "telegram")
        events.record(session, customer.id, "link", now, channel="telegram")
        if customer.opted_out_at is None:  # after a stop, only the shop's API gives consent
            await set_consent(session, customer, "telegram", True, now, how="/start")
        return customer


async def link_viber(
    ctx: Offers, token: str, user_id: str, subscribed: bool | None = None
) -> Customer | None:
    """conversation_started from the customer's link (or their token sent as a message).
    `subscribed`: what Viber says; until they subscribe, Viber lets us send them nothing but
    the welcome message."""
    now = ctx.clock.now()
    async with ctx.deps.write() as session:
        customer = await by_token(session, token)
        if customer is None:
            return None
        customer.viber_user_id = user_id[:64]
        customer.viber_replied_at = now
        if subscribed is not None:
            customer.viber_subscribed = subscribed
        customer.exhausted = ",".join(c for c in customer.exhausted.split(",") if c != "viber")
        events.record(session, customer.id, "link", now, channel="viber")
        if customer.opted_out_at is None:  # after a stop, only the shop's API gives consent
            await set_consent(session, customer, "viber", True, now, how="conversation_started")
        return customer


async def viber_subscribed(ctx: Offers, user_id: str) -> int:
    """A `subscribed` callback, or a message from the user (which subscribes them too): Viber
    is theirs again, ahead of SMS, and offers waiting for it go now. Returns how many
    customers that was."""
    now = ctx.clock.now()
    async with ctx.deps.write() as session:
        found = list(
            await session.scalars(
                select(Customer).where(Customer.viber_user_id == user_id).with_for_update()
            )
        )
        for customer in found:
            if customer.viber_subscribed is True:
                continue
            customer.viber_subscribed = True
            reaches = ctx.channels.reaches()
            fallback.restore(session, customer, "viber", now, "subscribed in viber", reaches)
            await session.execute(
                update(Delivery)
                .where(
                    Delivery.customer_id == customer.id,
                    Delivery.state == State.SCHEDULED,
                    Delivery.reason == Reason.NOT_SUBSCRIBED,
                )
                .values(not_before=now)
            )
        return len(found)


def as_dict(customer: Customer, ctx: Offers) -> dict[str, Any]:
    return {
        "id": customer.id,
        "shop_id": customer.shop_id,
        "name": customer.name,
        "phone": customer.phone,
        "timezone": customer.timezone,
        "external_id": customer.external_id,
        "consent": {c: bool(getattr(customer, f"consent_{c}")) for c in CHANNELS},
        "service": customer.service_opted_out_at is None,
        "telegram_linked": customer.telegram_chat_id is not None,
        "viber_linked": customer.viber_user_id is not None,
        "channel": customer.channel,
        "opted_out_at": customer.opted_out_at.isoformat() if customer.opted_out_at else None,
        "unread_streak": customer.unread_streak,
        "telegram_link": links.telegram_link(ctx.config.telegram_bot_username, customer.link_token),
        "viber_link": links.viber_link(ctx.config.viber_chat_uri, customer.link_token),
    }
