"""The numbers that tell a shop whether proactive help works (/admin/stats).

Periods are whole UTC days. Percentiles are nearest-rank. Uplift compares visitors a rule
treated with those it held back (its control group): purchase rate by a two-proportion normal
interval, average check by Welch's normal interval, both at 95%.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.storage.models import (
    Conversation,
    Invitation,
    Operator,
    ProactiveRule,
    Purchase,
    Visit,
    utcnow,
)

Z95 = statistics.NormalDist().inv_cdf(0.975)
# A chat nobody answered within this long counts as missed even while it is still open.
MISSED_AFTER = timedelta(minutes=5)


def nearest_rank(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


def cohort(values: list[float | None]) -> dict[str, Any]:
    """`values`: per unit, the money it spent, or None when it bought nothing."""
    bought = [v for v in values if v is not None]
    n = len(values)
    return {
        "visits": n,
        "purchases": len(bought),
        "purchase_rate": len(bought) / n if n else None,
        "average_check": statistics.fmean(bought) if bought else None,
    }


def rate_diff(t: list[float | None], c: list[float | None]) -> dict[str, float] | None:
    nt, nc = len(t), len(c)
    if not nt or not nc:
        return None
    pt = sum(v is not None for v in t) / nt
    pc = sum(v is not None for v in c) / nc
    se = math.sqrt(pt * (1 - pt) / nt + pc * (1 - pc) / nc)
    d = pt - pc
    return {"value": d, "low": d - Z95 * se, "high": d + Z95 * se}


def mean_diff(t: list[float | None], c: list[float | None]) -> dict[str, float] | None:
    bt = [v for v in t if v is not None]
    bc = [v for v in c if v is not None]
    if len(bt) < 2 or len(bc) < 2:
        return None
    se = math.sqrt(statistics.variance(bt) / len(bt) + statistics.variance(bc) / len(bc))
    d = statistics.fmean(bt) - statistics.fmean(bc)
    return {"value": d, "low": d - Z95 * se, "high": d + Z95 * se}


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(start, time(), UTC),
        datetime.combine(end + timedelta(days=1), time(), UTC),
    )


async def compute(session: AsyncSession, start: date, end: date) -> dict[str, Any]:
    lo, hi = bounds(start, end)
    now = utcnow()
    invs = list(
        await session.scalars(
            select(Invitation).where(Invitation.created_at >= lo, Invitation.created_at < hi)
        )
    )
    shown = [i for i in invs if i.group == "treated" and i.action in ("invite", "open")]
    accepted = sum(i.status == "accepted" for i in shown)
    convs = list(
        await session.scalars(
            select(Conversation).where(Conversation.created_at >= lo, Conversation.created_at < hi)
        )
    )
    missed = [
        c
        for c in convs
        if c.first_response_at is None
        and (c.status == "closed" or now - c.created_at > MISSED_AFTER)
    ]
    waits = [
        (c.first_response_at - c.created_at).total_seconds()
        for c in convs
        if c.first_response_at is not None
    ]
    ratings = (
        await session.execute(
            select(Operator.id, Operator.display_name, func.avg(Conversation.rating), func.count())
            .join(Conversation, Conversation.operator_id == Operator.id)
            .where(
                Conversation.rating.is_not(None),
                Conversation.rated_at >= lo,
                Conversation.rated_at < hi,
            )
            .group_by(Operator.id, Operator.display_name)
            .order_by(Operator.display_name)
        )
    ).all()

    # Purchases of the visits and invitations involved, by visit.
    visit_ids = {i.visit_id for i in invs}
    carts = list(
        await session.scalars(
            select(Visit).where(Visit.started_at >= lo, Visit.started_at < hi, Visit.had_cart)
        )
    )
    visit_ids |= {v.id for v in carts}
    buys: dict[int, list[Purchase]] = defaultdict(list)
    if visit_ids:
        for p in await session.scalars(select(Purchase).where(Purchase.visit_id.in_(visit_ids))):
            buys[p.visit_id].append(p)  # type: ignore[index]
    chatted = set(
        await session.scalars(
            select(Conversation.visit_id).where(
                Conversation.visit_id.in_({v.id for v in carts} or {-1})
            )
        )
    )

    def spent(visit_id: int, since: datetime | None = None) -> float | None:
        made = [p for p in buys.get(visit_id, []) if since is None or p.created_at >= since]
        return sum(p.total for p in made) if made else None

    with_chat = [spent(v.id) for v in carts if v.id in chatted]
    without_chat = [spent(v.id) for v in carts if v.id not in chatted]

    names = dict((await session.execute(select(ProactiveRule.id, ProactiveRule.name))).all())
    by_rule: dict[int, dict[str, list[float | None]]] = defaultdict(
        lambda: {"treated": [], "control": []}
    )
    for inv in invs:
        if inv.rule_id is not None:
            by_rule[inv.rule_id][inv.group].append(spent(inv.visit_id, inv.created_at))
    rules = {r.id: r for r in await session.scalars(select(ProactiveRule))}
    uplift = [
        {
            "rule_id": rid,
            "rule_name": names.get(rid, f"#{rid}"),
            "holdout_percent": rules[rid].holdout_percent if rid in rules else None,
            "treated": cohort(groups["treated"]),
            "control": cohort(groups["control"]),
            "purchase_rate_diff": rate_diff(groups["treated"], groups["control"]),
            "average_check_diff": mean_diff(groups["treated"], groups["control"]),
        }
        for rid, groups in sorted(by_rule.items())
    ]

    daily: dict[str, dict[str, Any]] = {}
    day = start
    while day <= end:
        daily[day.isoformat()] = {
            "date": day.isoformat(),
            "invitations_shown": 0,
            "invitations_accepted": 0,
            "chats": 0,
            "purchases": 0,
        }
        day += timedelta(days=1)
    for i in shown:
        row = daily[i.created_at.date().isoformat()]
        row["invitations_shown"] += 1
        row["invitations_accepted"] += i.status == "accepted"
    for c in convs:
        daily[c.created_at.date().isoformat()]["chats"] += 1
    for p in await session.scalars(
        select(Purchase).where(Purchase.created_at >= lo, Purchase.created_at < hi)
    ):
        daily[p.created_at.date().isoformat()]["purchases"] += 1

    return {
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "invitations": {
            "shown": len(shown),
            "accepted": accepted,
            "dismissed": sum(i.status == "dismissed" for i in shown),
            "accepted_rate": accepted / len(shown) if shown else None,
            "callback_offered": sum(i.group == "treated" and i.action == "callback" for i in invs),
            "held_back": sum(i.group == "control" for i in invs),
        },
        "chats": {
            "by_invitation": sum(c.origin == "invitation" for c in convs),
            "by_visitor": sum(c.origin != "invitation" for c in convs),
            "missed": len(missed),
        },
        "first_response": {
            "median_seconds": statistics.median(waits) if waits else None,
            "p90_seconds": nearest_rank(waits, 0.9),
            "count": len(waits),
        },
        "ratings": [
            {"operator_id": oid, "name": name, "average": float(avg), "count": n}
            for oid, name, avg, n in ratings
        ],
        "carts": {"with_chat": cohort(with_chat), "without_chat": cohort(without_chat)},
        "daily": list(daily.values()),
        "uplift": uplift,
    }
