"""Per journey and step: entered (treated and held out), sent by channel, read, clicked,
ordered, revenue, the uplift of the order rate against the holdout with its 95% confidence
interval, and cost and revenue per ruble from the per-channel prices the admin sets. And one
customer's timeline: every journey, step and message."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.storage.models import Delivery, Journey, JourneyRun, Offer, ShopSetting

PRICES_KEY = "channel_prices"
# Rubles a message, until the admin sets them: an SMS (a segment), a Viber message, Telegram.
DEFAULT_PRICES = {"sms": 4.0, "viber": 1.5, "telegram": 0.0}
Z95 = 1.959964


def uplift(n_t: int, k_t: int, n_c: int, k_c: int) -> dict[str, float] | None:
    """Treated minus control order rate, with a 95% normal-approximation interval; None
    without both groups."""
    if not n_t or not n_c:
        return None
    p_t, p_c = k_t / n_t, k_c / n_c
    se = math.sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
    diff = p_t - p_c
    return {"rate_treated": p_t, "rate_control": p_c, "uplift": diff,
            "ci_low": diff - Z95 * se, "ci_high": diff + Z95 * se}  # fmt: skip


async def prices(session: AsyncSession) -> dict[str, float]:
    row = await session.get(ShopSetting, PRICES_KEY)
    return {**DEFAULT_PRICES, **(row.value if row else {})}


async def report(session: AsyncSession) -> list[dict[str, Any]]:
    price = await prices(session)
    out = []
    for journey in await session.scalars(select(Journey).order_by(Journey.id)):
        groups = (
            await session.execute(
                select(
                    JourneyRun.group,
                    func.count(),
                    func.count(JourneyRun.ordered_at),
                    func.coalesce(func.sum(JourneyRun.revenue), 0),
                )
                .where(JourneyRun.journey_id == journey.id)
                .group_by(JourneyRun.group)
            )
        ).all()
        by = {g: (n, k, Decimal(str(r))) for g, n, k, r in groups}
        n_t, k_t, rev_t = by.get("treated", (0, 0, Decimal(0)))
        n_c, k_c, _ = by.get("control", (0, 0, Decimal(0)))
        steps = await _steps(session, journey.id, price)
        cost = sum(s["cost"] for s in steps)
        by_channel: dict[str, float] = {}
        for s in steps:
            for channel, n in s["sent"].items():
                key = channel or "none"
                by_channel[key] = by_channel.get(key, 0.0) + n * price.get(channel or "", 0.0)
        out.append(
            {
                "id": journey.id,
                "shop_id": journey.shop_id,
                "key": journey.key,
                "name": journey.name,
                "purpose": journey.purpose,
                "entered": n_t + n_c,
                "held_out": n_c,
                "ordered": k_t,
                "revenue": float(rev_t),
                "cost": cost,
                "cost_by_channel": by_channel,
                "revenue_per_ruble": float(rev_t) / cost if cost else None,
                "uplift": uplift(n_t, k_t, n_c, k_c),
                "steps": steps,
            }
        )
    return out


async def _steps(session: AsyncSession, journey_id: int, price: dict[str, float]) -> list[Any]:
    rows = await session.execute(
        select(
            Offer.step,
            Delivery.channel,
            func.count(Delivery.sent_at),
            func.count(Delivery.read_at),
            func.count(Delivery.clicked_at),
            func.count(case((JourneyRun.ordered_at > Delivery.sent_at, 1))),
            func.coalesce(
                func.sum(case((JourneyRun.ordered_at > Delivery.sent_at, JourneyRun.revenue))), 0
            ),
        )
        .join(Offer, Offer.id == Delivery.offer_id)
        .join(JourneyRun, JourneyRun.id == Delivery.run_id)
        .where(Offer.journey_id == journey_id, Delivery.sent_at.is_not(None))
        .group_by(Offer.step, Delivery.channel)
        .order_by(Offer.step, Delivery.channel)
    )
    steps: dict[int, dict[str, Any]] = {}
    for step, channel, sent, read, clicked, ordered, revenue in rows.all():
        s = steps.setdefault(step, {"step": step, "sent": {}, "read": 0, "clicked": 0,
                                    "ordered": 0, "revenue": 0.0, "cost": 0.0})  # fmt: skip
        s["sent"][channel] = sent
        s["read"] += read
        s["clicked"] += clicked
        s["ordered"] += ordered
        s["revenue"] += float(revenue)
        s["cost"] += sent * price.get(channel or "", 0.0)
    return list(steps.values())


async def timeline(session: AsyncSession, customer_id: int) -> list[dict[str, Any]]:
    runs = await session.scalars(
        select(JourneyRun).where(JourneyRun.customer_id == customer_id).order_by(JourneyRun.id)
    )
    out = []
    for run in runs:
        journey = await session.get(Journey, run.journey_id)
        messages = await session.execute(
            select(Offer.step, Delivery.channel, Delivery.state, Delivery.reason,
                   Delivery.sent_at, Delivery.read_at)
            .join(Offer, Offer.id == Delivery.offer_id)
            .where(Delivery.run_id == run.id)
            .order_by(Delivery.id)
        )  # fmt: skip
        out.append(
            {
                "journey": journey.name if journey else None,
                "trigger_key": run.trigger_key,
                "group": run.group,
                "state": run.state,
                "exit_reason": run.exit_reason,
                "entered_at": run.entered_at.isoformat(),
                "ordered_at": run.ordered_at.isoformat() if run.ordered_at else None,
                "steps_taken": run.context.get("taken", []),
                "messages": [
                    {
                        "step": st,
                        "channel": ch,
                        "state": state,
                        "reason": reason,
                        "sent_at": sent.isoformat() if sent else None,
                        "read_at": read.isoformat() if read else None,
                    }
                    for st, ch, state, reason, sent, read in messages.all()
                ],
            }
        )
    return out
