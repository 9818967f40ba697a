"""Customers: bulk upsert from the API or a CSV, consent and opt-outs, messenger linking."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import events, fallback, links
from bot.context import Offers
from consult import http_input, payloads
from consult.errors import ConsultError
from consult.phones import normalize
from storage.models import Customer, Delivery

CHANNELS = ("telegram", "viber", "sms")
MAX_BATCH = 5000


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    shop_id: str | None = Field(default=None, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    phone: str = Field(min_length=3, max_length=40)
    timezone: str = "Europe/Moscow"
    consent: dict[Literal["telegram", "viber", "sms"], bool] = Field(default_factory=dict)

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


def parse_csv(text: str) -> list[dict[str, Any]]:
    """Columns: name, phone, timezone, telegram, viber, sms (consents: yes/no, 1/0, true/false)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"name", "phone"} - set(reader.fieldnames or [])
    if missing:
        raise ConsultError("invalid_payload", f"CSV lacks columns: {', '.join(sorted(missing))}")
    truthy = {"1", "yes", "y", "true", "да", "+"}
    rows = []
    for row in reader:
        item: dict[str, Any] = {"name": row.get("name") or "", "phone": row.get("phone") or ""}
        if row.get("timezone"):
            item["timezone"] = row["timezone"]
        item["consent"] = {
            c: (row.get(c) or "").strip().lower() in truthy for c in CHANNELS if c in row
        }
        rows.append(item)
    return rows


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
            for channel, given in item.consent.items():
                await set_consent(session, customer, channel, given, now, how="api")
            out.append(customer)
    return out


async def set_consent(
    session: AsyncSession, customer: Customer, channel: str, given: bool, at: datetime, how: str
) -> None:
    attr = f"consent_{channel}"
    if bool(getattr(customer, attr)) == given:
        return
    setattr(customer, attr, given)
    if given:
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


async def opt_out(ctx: Offers, customer_id: int, channel: str, how: str) -> None:
    async with ctx.deps.write() as session:
        customer = await session.get(Customer, customer_id, with_for_update=True)
        if customer is not None:
            await set_consent(session, customer, channel, False, ctx.clock.now(), how)


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
        await set_consent(session, customer, "telegram", True, now, how="/start")
        return customer


async def link_viber(ctx: Offers, token: str, user_id: str) -> Customer | None:
    now = ctx.clock.now()
    async with ctx.deps.write() as session:
        customer = await by_token(session, token)
        if customer is None:
            return None
        customer.viber_user_id = user_id[:64]
        customer.viber_replied_at = now
        customer.exhausted = ",".join(c for c in customer.exhausted.split(",") if c != "viber")
        events.record(session, customer.id, "link", now, channel="viber")
        await set_consent(session, customer, "viber", True, now, how="conversation_started")
        return customer


def as_dict(customer: Customer, ctx: Offers) -> dict[str, Any]:
    return {
        "id": customer.id,
        "shop_id": customer.shop_id,
        "name": customer.name,
        "phone": customer.phone,
        "timezone": customer.timezone,
        "consent": {c: bool(getattr(customer, f"consent_{c}")) for c in CHANNELS},
        "telegram_linked": customer.telegram_chat_id is not None,
        "viber_linked": customer.viber_user_id is not None,
        "channel": customer.channel,
        "unread_streak": customer.unread_streak,
        "telegram_link": links.telegram_link(ctx.config.telegram_bot_username, customer.link_token),
        "viber_link": links.viber_link(ctx.config.viber_chat_uri, customer.link_token),
    }
