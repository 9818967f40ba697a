"""The offer calendar's planning: from each customer's purchase history, the offers due now.

A pass (the delivery worker's hourly job, or `POST /admin/api/calendar/plan`) walks the shop's
purchase lines customer by customer, 5,000 customers a chunk (keyset by customer id, so
memory stays flat whatever the history's size), and for each purchase and each rule that
matches it (category, price band; gift rules only for gifts) computes when the rule's offer
is due: the purchase plus `delay_days`. What fell due within the last period plus CATCH_UP
(a pass missed, or a wait for the period, is caught up) and was never planned for that
purchase is planned now:

- the good: an accessory of the rule's category, or the newer model; only in stock (a good
  out of stock gives way to its analogue in stock), never one the customer already bought;
- at most one offer per customer per period (`PUT /admin/api/calendar/settings`), counted
  from the last one planned — the earliest due goes first, the rest wait for a later pass;
- the rule's holdout: a stable share of plans is recorded as `control` and sends nothing;
- treated: a `deliveries` row of the rule's offer row, which the delivery worker sends like
  any offer (consent, send window, fallback; stock is checked again at sending);
- a gift: a call-back task for staff to check on the recipient (no message, not counted in
  the period).

Purchases feed `purchase_lines` through `on_events` (purchase events, the CSV of past orders
goes through the same events); a purchase within ATTRIBUTION of a plan counts as its order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from prilavok.bot import calendar_defs, links, staff
from prilavok.bot.context import Offers
from prilavok.bot.delivery_states import State
from prilavok.bot.shop_events import Stored, orm_listener
from prilavok.consult import tasks as consult_tasks
from prilavok.consult.kernel.notifier import OPERATOR_NS, OPERATORS_ROOM
from prilavok.storage.models import (
    CalendarPlan,
    CalendarRule,
    Customer,
    Delivery,
    Offer,
    Product,
    PurchaseLine,
    ShopSetting,
    Task,
)

CHUNK = 5_000
# An offer due this long ago is still planned (a pass missed, or a customer waiting out the
# period); one older than that is left: it would come too late to make sense.
CATCH_UP = timedelta(days=14)
ATTRIBUTION = timedelta(days=14)


@dataclass
class _Good:
    sku: str
    price: Decimal
    stock: int
    analogue: str | None


@dataclass
class Catalog:
    """The shop's goods by category, cheapest first: held once per pass (its size is the
    catalog's, not the customers')."""

    by_sku: dict[str, _Good] = field(default_factory=dict)
    by_category: dict[str, list[_Good]] = field(default_factory=dict)

    def offerable(self, good: _Good, bought: set[str]) -> str | None:
        """The good if in stock, else its analogue if that is; never one already bought."""
        if good.stock > 0:
            return good.sku if good.sku not in bought else None
        other = self.by_sku.get(good.analogue or "")
        if other is not None and other.stock > 0 and other.sku not in bought:
            return other.sku
        return None

    def accessory(self, category: str, bought: set[str]) -> str | None:
        for good in self.by_category.get(category, ()):
            found = self.offerable(good, bought)
            if found:
                return found
        return None

    def upgrade(self, category: str, price: Decimal, sku: str, bought: set[str]) -> str | None:
        for good in self.by_category.get(category, ()):
            if good.price > price and good.sku != sku:
                found = self.offerable(good, bought)
                if found:
                    return found
        return None


@dataclass(frozen=True)
class _Rule:
    """A rule as the pass reads it, per purchase line (plain attributes, not the ORM's), with
    the purchase dates whose offer falls due within this pass's window."""

    id: int
    kind: str
    low: Decimal | None
    high: Decimal | None
    offer_category: str
    delay: timedelta
    holdout: int
    earliest: datetime
    latest: datetime

    def matches(self, bought_at: datetime, price: Decimal, gift: bool) -> bool:
        if (self.kind == "gift") != gift:
            return False  # a gift's accessories are the recipient's business
        if not self.earliest <= bought_at <= self.latest:
            return False
        return (self.low is None or price >= self.low) and (self.high is None or price < self.high)


@dataclass
class Counts:
    customers: int = 0
    planned: int = 0
    held_out: int = 0
    gifts: int = 0
    nothing_to_offer: int = 0
    waiting_for_period: int = 0

    def answer(self) -> dict[str, int]:
        return dict(self.__dict__)


def in_control(rule_id: int, customer_id: int, line_id: int, percent: int) -> bool:
    digest = hashlib.sha256(f"calendar:{rule_id}:{customer_id}:{line_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


async def period(session: AsyncSession, shop_id: str) -> timedelta:
    row = await session.get(ShopSetting, calendar_defs.SETTINGS_KEY.format(shop=shop_id))
    days = (row.value or {}).get("period_days") if row else None
    return timedelta(days=days or calendar_defs.DEFAULT_PERIOD_DAYS)


async def _catalog(session: AsyncSession, shop_id: str) -> Catalog:
    out = Catalog()
    rows = await session.execute(
        select(Product.sku, Product.price, Product.stock, Product.analogue_sku, Product.category)
        .where(Product.shop_id == shop_id)
        .order_by(Product.price, Product.sku)
    )
    for sku, price, stock, analogue, category in rows.all():
        good = _Good(sku, Decimal(price or 0), stock, analogue)
        out.by_sku[sku] = good
        if category:
            out.by_category.setdefault(category, []).append(good)
    return out


async def _offers(session: AsyncSession, rules: list[CalendarRule], now: datetime) -> dict:
    """Each rule's offer row (the deliveries' parent), made anew when its texts change."""
    out: dict[int, int] = {}
    for rule in rules:
        if rule.kind == "gift":
            continue
        title = f"Календарь: {rule.name}"[:200]
        offer_id = await session.scalar(
            select(Offer.id)
            .where(
                Offer.shop_id == rule.shop_id,
                Offer.title == title,
                Offer.template == rule.template,
                Offer.sms_template.is_(None)
                if rule.sms_template is None
                else Offer.sms_template == rule.sms_template,
            )
            .order_by(Offer.id.desc())
            .limit(1)
        )
        if offer_id is None:
            offer = Offer(shop_id=rule.shop_id, title=title, sku="", template=rule.template,
                          sms_template=rule.sms_template, starts_at=now, created_at=now,
                          purpose="marketing")  # fmt: skip
            session.add(offer)
            await session.flush()
            offer_id = offer.id
        out[rule.id] = offer_id
    return out


async def plan(ctx: Offers, shop_id: str) -> Counts:
    """One pass over the shop's purchase history (see the module's text)."""
    now = ctx.clock.now()
    counts = Counts()
    async with ctx.deps.write() as session:
        rules = list(
            await session.scalars(
                select(CalendarRule)
                .where(CalendarRule.shop_id == shop_id, CalendarRule.enabled)
                .order_by(CalendarRule.id)
            )
        )
        if not rules:
            return counts
        offers = await _offers(session, rules, now)
    async with ctx.deps.sessions() as session:
        goods = await _catalog(session, shop_id)
        gap = await period(session, shop_id)
    by_category: dict[str, list[_Rule]] = {}
    for rule in rules:
        delay = timedelta(days=rule.delay_days)
        light = _Rule(rule.id, rule.kind, rule.price_min, rule.price_max,
                      rule.offer_category or "", delay, rule.holdout_percent,
                      now - CATCH_UP - gap - delay, now - delay)  # fmt: skip
        by_category.setdefault(rule.category, []).append(light)
    after = 0
    while True:
        async with ctx.deps.sessions() as session:
            ids = list(
                await session.scalars(
                    select(PurchaseLine.customer_id)
                    .where(PurchaseLine.shop_id == shop_id, PurchaseLine.customer_id > after)
                    .group_by(PurchaseLine.customer_id)
                    .order_by(PurchaseLine.customer_id)
                    .limit(CHUNK)
                )
            )
        if not ids:
            return counts
        after = ids[-1]
        await _chunk(ctx, shop_id, ids, by_category, offers, goods, gap, now, counts)


async def _chunk(
    ctx: Offers,
    shop_id: str,
    ids: list[int],
    by_category: dict[str, list[_Rule]],
    offers: dict[int, int],
    goods: Catalog,
    gap: timedelta,
    now: datetime,
    counts: Counts,
) -> None:
    async with ctx.deps.write() as session:
        lines: dict[int, list[Any]] = {}
        # Core rows, not the ORM's: tens of thousands a chunk.
        t = PurchaseLine.__table__.c
        found = await (await session.connection()).execute(
            select(t.id, t.customer_id, t.sku, t.title, t.category, t.price, t.bought_at,
                   t.gift, t.recipient)
            .where(t.shop_id == shop_id, t.customer_id.in_(ids))
            .order_by(t.customer_id, t.bought_at, t.id)
        )  # fmt: skip
        for row in found.all():
            lines.setdefault(row.customer_id, []).append(row)
        done: set[tuple[int, int]] = set()
        last: dict[int, datetime] = {}
        planned = await session.execute(
            select(CalendarPlan.customer_id, CalendarPlan.rule_id, CalendarPlan.line_id,
                   CalendarPlan.planned_at, CalendarPlan.task_id)
            .where(CalendarPlan.customer_id.in_(ids))
        )  # fmt: skip
        for customer_id, rule_id, line_id, at, task_id in planned.all():
            done.add((rule_id, line_id))
            if task_id is None and (customer_id not in last or at > last[customer_id]):
                last[customer_id] = at
        tried = await session.execute(
            select(Delivery.offer_id, Delivery.customer_id, func.max(Delivery.attempt))
            .where(Delivery.customer_id.in_(ids), Delivery.offer_id.in_(set(offers.values())))
            .group_by(Delivery.offer_id, Delivery.customer_id)
        )
        attempts = {(o, c): n for o, c, n in tried.all()}
        people = {
            c.id: c
            for c in (
                await session.execute(
                    select(Customer.id, Customer.name, Customer.phone).where(Customer.id.in_(ids))
                )
            ).all()
        }
        plans: list[dict[str, Any]] = []
        deliveries: list[dict[str, Any]] = []
        tasks: list[dict[str, Any]] = []
        for customer_id in ids:
            counts.customers += 1
            mine = lines.get(customer_id, [])
            bought = {line.sku for line in mine}
            due: list[tuple[datetime, _Rule, Any]] = []
            for line in mine:
                for rule in by_category.get(line.category or "", ()):
                    if rule.matches(line.bought_at, line.price, line.gift):
                        if (rule.id, line.id) not in done:
                            due.append((line.bought_at + rule.delay, rule, line))
            due.sort(key=lambda item: (item[0], item[1].id))
            for when, rule, line in due:
                base = {"rule_id": rule.id, "customer_id": customer_id, "line_id": line.id,
                        "due_at": when, "planned_at": now}  # fmt: skip
                if rule.kind == "gift":
                    person = people[customer_id]
                    plans.append({**base, "sku": line.sku, "group": "treated"})
                    tasks.append({**_gift_task(person, line, now), "_plan": len(plans) - 1})
                    counts.gifts += 1
                    continue
                previous = last.get(customer_id)
                if previous is not None and now - previous < gap:
                    counts.waiting_for_period += 1
                    continue
                if rule.kind == "accessory":
                    sku = goods.accessory(rule.offer_category, bought)
                else:
                    sku = goods.upgrade(line.category or "", Decimal(line.price or 0),
                                        line.sku, bought)  # fmt: skip
                if sku is None:
                    counts.nothing_to_offer += 1
                    continue
                control = in_control(rule.id, customer_id, line.id, rule.holdout)
                plans.append({**base, "sku": sku, "group": "control" if control else "treated"})
                last[customer_id] = now
                if control:
                    counts.held_out += 1
                    continue
                key = (offers[rule.id], customer_id)
                attempts[key] = attempts.get(key, 0) + 1
                deliveries.append(
                    {"offer_id": offers[rule.id], "customer_id": customer_id,
                     "attempt": attempts[key], "code": "", "slug":
                     links.name_slug(people[customer_id].name), "sku": sku,
                     "state": State.SCHEDULED, "not_before": now, "tries": 0,
                     "created_at": now, "_plan": len(plans) - 1}
                )  # fmt: skip
                counts.planned += 1
        await _write(session, plans, deliveries, tasks)
    made = [p["task_id"] for p in plans if p.get("task_id")]
    if made:  # after the commit, as every task: open consoles show them at once
        await _announce(ctx, made)


def _gift_task(person: Any, line: Any, now: datetime) -> dict[str, Any]:
    days = (now - line.bought_at).days
    whom = f" получателю {line.recipient}" if line.recipient else ""
    text = (f"{days} дн. назад клиент {person.name} подарил «{line.title or line.sku}»"
            f"{whom}. Узнайте, всё ли в порядке с подарком.")  # fmt: skip
    return {"kind": "callback", "source": "calendar", "name": person.name, "phone": person.phone,
            "text": text, "customer_ref": f"customer:{person.id}", "status": "open",
            "created_at": now}  # fmt: skip


async def _announce(ctx: Offers, task_ids: list[int]) -> None:
    async with ctx.deps.sessions() as session:
        found = list(await session.scalars(select(Task).where(Task.id.in_(task_ids))))
    for task in found:
        data = consult_tasks.as_dict(task)
        await ctx.deps.notifier.emit("task", data, room=OPERATORS_ROOM, namespace=OPERATOR_NS)
        await staff.tell_staff(ctx, f"Подарок: {task.text} Телефон: {task.phone}")


async def _write(
    session: AsyncSession,
    plans: list[dict[str, Any]],
    deliveries: list[dict[str, Any]],
    tasks: list[dict[str, Any]],
) -> None:
    if deliveries:
        for row, code in zip(deliveries, links.new_codes(len(deliveries)), strict=True):
            row["code"] = code
        rows = [{k: v for k, v in d.items() if k != "_plan"} for d in deliveries]
        table = Delivery.__table__
        made = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        for d, delivery_id in zip(deliveries, (await session.execute(made, rows)).scalars(),
                                  strict=True):  # fmt: skip
            plans[d["_plan"]]["delivery_id"] = delivery_id
    if tasks:
        rows = [{k: v for k, v in t.items() if k != "_plan"} for t in tasks]
        made = insert(Task.__table__).returning(Task.__table__.c.id, sort_by_parameter_order=True)
        for t, task_id in zip(tasks, (await session.execute(made, rows)).scalars(), strict=True):
            plans[t["_plan"]]["task_id"] = task_id
    if plans:
        for p in plans:
            p.setdefault("delivery_id", None)
            p.setdefault("task_id", None)
        await session.execute(insert(CalendarPlan.__table__), plans)


async def bought(session: AsyncSession, d: Delivery) -> dict[str, Any] | None:
    """The purchase a calendar offer follows, for its template (`bought.title`); a later
    attempt (a switch, "remind me later") finds its plan through the chain's first delivery
    (migration 0017 linked those made before)."""
    columns = (PurchaseLine.title, PurchaseLine.sku, PurchaseLine.category, PurchaseLine.shop_id)
    joined = select(*columns).join(CalendarPlan, CalendarPlan.line_id == PurchaseLine.id)
    first = d.first_id or d.id
    row = (await session.execute(joined.where(CalendarPlan.delivery_id == first).limit(1))).first()
    if row is None:
        return None
    title = row.title
    if not title:  # an item sent without its name: the catalog's
        title = await session.scalar(
            select(Product.title).where(Product.shop_id == row.shop_id, Product.sku == row.sku)
        )
    return {"title": title or row.sku, "category": row.category or ""}


# ---- purchases in ----


@orm_listener
def on_events(session: Session, batch: Sequence[Stored], now: datetime) -> None:
    """Purchase events: their items become purchase lines; a purchase within ATTRIBUTION of
    a calendar plan of that customer counts as the plan's order (its revenue)."""
    rows: list[dict[str, Any]] = []
    buyers: dict[int, Stored] = {}
    for one in batch:
        order = one.event.order
        if one.event.type != "purchase" or one.customer_id is None or order is None:
            continue
        buyers[one.customer_id] = one
        for item in order.items:
            rows.append({"shop_id": one.shop_id, "customer_id": one.customer_id,
                         "order_ref": order.id, "sku": item.sku, "title": item.name,
                         "category": item.category, "price": Decimal(str(item.price)),
                         "bought_at": one.at, "gift": order.gift,
                         "recipient": order.recipient})  # fmt: skip
    if rows:
        session.execute(insert(PurchaseLine.__table__), rows)
    if not buyers:
        return
    found = session.scalars(
        select(CalendarPlan).where(
            CalendarPlan.customer_id.in_(list(buyers)),
            CalendarPlan.ordered_at.is_(None),
            CalendarPlan.task_id.is_(None),
        )
    )
    for p in found:
        one = buyers[p.customer_id]
        if p.planned_at <= one.at <= p.planned_at + ATTRIBUTION:
            total = one.event.order.total if one.event.order else 0
            p.ordered_at, p.revenue = one.at, Decimal(str(total or 0))
