"""Per calendar rule: planned (treated and held out), sent by channel, clicked, ordered
(a purchase within 14 days of planning), revenue, the uplift of the order rate against the
holdout with its 95% interval, cost by channel and revenue per ruble; and one CSV of every
journey and every rule, for a spreadsheet."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.bot import journey_reports
from prilavok.storage.models import CalendarPlan, CalendarRule, Delivery


async def report(session: AsyncSession) -> list[dict[str, Any]]:
    price = await journey_reports.prices(session)
    groups = await session.execute(
        select(CalendarPlan.rule_id, CalendarPlan.group, func.count(),
               func.count(CalendarPlan.ordered_at),
               func.coalesce(func.sum(CalendarPlan.revenue), 0))
        .group_by(CalendarPlan.rule_id, CalendarPlan.group)
    )  # fmt: skip
    by: dict[int, dict[str, tuple[int, int, Decimal]]] = {}
    for rule_id, group, n, k, revenue in groups.all():
        by.setdefault(rule_id, {})[group] = (n, k, Decimal(str(revenue)))
    sent = await session.execute(
        select(CalendarPlan.rule_id, Delivery.channel, func.count(Delivery.sent_at),
               func.count(Delivery.clicked_at))
        # Every attempt of the plan's message: a switch to SMS is what the plan cost.
        .join(Delivery, or_(Delivery.id == CalendarPlan.delivery_id,
                            Delivery.first_id == CalendarPlan.delivery_id))
        .where(Delivery.sent_at.is_not(None))
        .group_by(CalendarPlan.rule_id, Delivery.channel)
    )  # fmt: skip
    channels: dict[int, dict[str, int]] = {}
    clicks: dict[int, int] = {}
    for rule_id, channel, n, clicked in sent.all():
        channels.setdefault(rule_id, {})[channel or "none"] = n
        clicks[rule_id] = clicks.get(rule_id, 0) + clicked
    out = []
    for rule in await session.scalars(select(CalendarRule).order_by(CalendarRule.id)):
        mine = by.get(rule.id, {})
        n_t, k_t, rev_t = mine.get("treated", (0, 0, Decimal(0)))
        n_c, k_c, _ = mine.get("control", (0, 0, Decimal(0)))
        by_channel = channels.get(rule.id, {})
        cost = {ch: n * price.get(ch, 0.0) for ch, n in by_channel.items()}
        total_cost = sum(cost.values())
        out.append(
            {
                "id": rule.id,
                "shop_id": rule.shop_id,
                "name": rule.name,
                "kind": rule.kind,
                "planned": n_t + n_c,
                "held_out": n_c,
                "sent": by_channel,
                "clicked": clicks.get(rule.id, 0),
                "ordered": k_t,
                "revenue": float(rev_t),
                "cost": total_cost,
                "cost_by_channel": cost,
                "revenue_per_ruble": float(rev_t) / total_cost if total_cost else None,
                "uplift": journey_reports.uplift(n_t, k_t, n_c, k_c),
            }
        )
    return out


COLUMNS = ("kind", "id", "shop_id", "name", "entered", "held_out", "ordered", "revenue",
           "cost_sms", "cost_viber", "cost_telegram", "cost", "revenue_per_ruble",
           "rate_treated", "rate_control", "uplift", "ci_low", "ci_high")  # fmt: skip


def _line(kind: str, r: dict[str, Any], entered: int, cost: dict[str, float]) -> list[Any]:
    up = r.get("uplift") or {}
    return [kind, r["id"], r["shop_id"], r["name"], entered, r["held_out"], r["ordered"],
            f"{r['revenue']:.2f}", *(f"{cost.get(ch, 0.0):.2f}" for ch in
            ("sms", "viber", "telegram")), f"{r['cost']:.2f}",
            "" if r["revenue_per_ruble"] is None else f"{r['revenue_per_ruble']:.2f}",
            *("" if up.get(k) is None else f"{up[k]:.4f}" for k in
              ("rate_treated", "rate_control", "uplift", "ci_low", "ci_high"))]  # fmt: skip


async def csv_export(session: AsyncSession) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for r in await journey_reports.report(session):
        writer.writerow(_line("journey", r, r["entered"], r["cost_by_channel"]))
    for r in await report(session):
        writer.writerow(_line("calendar", r, r["planned"], r["cost_by_channel"]))
    return out.getvalue()
