"""Per offer and channel: sent, delivered, read, clicked, switched away, opted out, orders and
revenue, within a period."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from prilavok.bot.delivery_states import State
from prilavok.consult.kernel.deps import Deps
from prilavok.storage.models import Delivery, Offer, OfferEvent, ShopOrder

COUNTS = ("sent", "delivered", "read", "clicked", "switched", "opted_out", "orders")


async def offers_report(deps: Deps, start: datetime, end: datetime) -> dict[str, Any]:
    rows: dict[tuple[int, str], dict[str, Any]] = {}

    def row(offer_id: int, channel: str | None) -> dict[str, Any]:
        key = (offer_id, channel or "none")
        if key not in rows:
            rows[key] = {"offer_id": offer_id, "channel": key[1], "revenue": Decimal(0)}
            rows[key].update(dict.fromkeys(COUNTS, 0))
        return rows[key]

    async with deps.sessions() as session:
        sent = await session.execute(
            select(
                Delivery.offer_id,
                Delivery.channel,
                func.count(Delivery.sent_at),
                func.count(Delivery.delivered_at),
                func.count(Delivery.read_at),
                func.count(Delivery.clicked_at),
            )
            .where(Delivery.sent_at >= start, Delivery.sent_at < end)
            .group_by(Delivery.offer_id, Delivery.channel)
        )
        for offer_id, channel, n_sent, n_delivered, n_read, n_clicked in sent.all():
            r = row(offer_id, channel)
            r.update(sent=n_sent, delivered=n_delivered, read=n_read, clicked=n_clicked)

        happened = await session.execute(
            select(Delivery.offer_id, Delivery.channel, OfferEvent.kind, func.count())
            .join(Delivery, Delivery.id == OfferEvent.delivery_id)
            .where(
                OfferEvent.kind.in_(("switch", "opt_out")),
                OfferEvent.at >= start,
                OfferEvent.at < end,
            )
            .group_by(Delivery.offer_id, Delivery.channel, OfferEvent.kind)
        )
        for offer_id, channel, kind, n in happened.all():
            row(offer_id, channel)["switched" if kind == "switch" else "opted_out"] += n

        ordered = await session.execute(
            select(Delivery.offer_id, Delivery.channel, func.count(), func.sum(ShopOrder.revenue))
            .join(Delivery, Delivery.code == ShopOrder.code)
            .where(ShopOrder.ordered_at >= start, ShopOrder.ordered_at < end)
            .group_by(Delivery.offer_id, Delivery.channel)
        )
        for offer_id, channel, n, revenue in ordered.all():
            r = row(offer_id, channel)
            r["orders"] += n
            r["revenue"] += Decimal(revenue or 0)

        # Why deliveries of offers made in the period wait or failed.
        why = await session.execute(
            select(Delivery.offer_id, Delivery.state, Delivery.reason, func.count())
            .join(Offer, Offer.id == Delivery.offer_id)
            .where(
                Offer.created_at >= start,
                Offer.created_at < end,
                Delivery.reason.is_not(None),
                Delivery.state.in_((State.SCHEDULED, State.FAILED, State.SWITCHED)),
            )
            .group_by(Delivery.offer_id, Delivery.state, Delivery.reason)
            .order_by(Delivery.offer_id, Delivery.state, Delivery.reason)
        )
        reasons = [
            {"offer_id": offer_id, "state": state, "reason": reason, "count": n}
            for offer_id, state, reason, n in why.all()
        ]

        wanted = {k[0] for k in rows} | {r["offer_id"] for r in reasons}
        # Journeys' messages (order status among them, which is service, not marketing) have
        # their own report (bot/journey_reports.py): they are no offers here.
        of_journeys = set(
            await session.scalars(
                select(Offer.id).where(Offer.id.in_(wanted), Offer.journey_id.is_not(None))
            )
        )
        rows = {k: v for k, v in rows.items() if k[0] not in of_journeys}
        reasons = [r for r in reasons if r["offer_id"] not in of_journeys]
        wanted -= of_journeys
        titles = dict(
            (await session.execute(select(Offer.id, Offer.title).where(Offer.id.in_(wanted)))).all()
        )

    out = sorted(rows.values(), key=lambda r: (r["offer_id"], r["channel"]))
    totals: dict[str, Any] = dict.fromkeys(COUNTS, 0)
    totals["revenue"] = Decimal(0)
    for r in out:
        r["title"] = titles.get(r["offer_id"], "")
        for key in (*COUNTS, "revenue"):
            totals[key] += r[key]
        r["revenue"] = f"{r['revenue']:.2f}"
    totals["revenue"] = f"{totals['revenue']:.2f}"
    for r in reasons:
        r["title"] = titles.get(r["offer_id"], "")
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "rows": out,
        "totals": totals,
        "reasons": reasons,
    }
