"""Seeded history for the numbers: invitations treated and held back, chats, carts, purchases."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

from prilavok.consult.kernel.deps import Deps
from prilavok.storage.models import (
    Conversation,
    Invitation,
    Operator,
    ProactiveRule,
    Purchase,
    Visit,
    Visitor,
)

DAY = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


async def seed_uplift(deps: Deps, operator: Operator, seed: int = 7) -> dict:
    """Returns the raw per-unit outcomes the test computes its own figures from."""
    rng = random.Random(seed)
    outcomes: dict[str, list[float | None]] = {"treated": [], "control": []}
    async with deps.write() as s:
        rule = ProactiveRule(
            name="seeded",
            enabled=True,
            priority=0,
            conditions={"match": "all", "items": [{"type": "exit_intent"}]},
            action="invite",
            text="",
            fallback_callback=False,
            cap="visit",
            holdout_percent=20,
        )
        s.add(rule)
        await s.flush()
        for n in range(120):
            group = "control" if n % 5 == 0 else "treated"
            at = DAY + timedelta(hours=n % 48, minutes=n)
            visitor = Visitor(created_at=at, last_seen_at=at)
            s.add(visitor)
            await s.flush()
            visit = Visit(
                visitor_id=visitor.id,
                started_at=at,
                last_seen_at=at,
                page_count=3,
                had_cart=True,
                cart_total=0,
                cart_count=0,
            )
            s.add(visit)
            await s.flush()
            status = (
                "held_back"
                if group == "control"
                else rng.choice(["accepted", "dismissed", "shown"])
            )
            inv = Invitation(
                rule_id=rule.id,
                visitor_id=visitor.id,
                visit_id=visit.id,
                group=group,
                action="invite",
                status=status,
                created_at=at,
            )
            s.add(inv)
            bought = rng.random() < (0.45 if group == "treated" else 0.3)
            spent: float | None = None
            if bought:
                spent = float(rng.randrange(1000, 40000))
                # One purchase before the invitation does not count for it.
                s.add(
                    Purchase(
                        visitor_id=visitor.id,
                        visit_id=visit.id,
                        order_id=f"o{n}",
                        total=spent,
                        items=[],
                        created_at=at + timedelta(minutes=3),
                    )
                )
            if n % 7 == 0:
                s.add(
                    Purchase(
                        visitor_id=visitor.id,
                        visit_id=visit.id,
                        order_id=f"early{n}",
                        total=999.0,
                        items=[],
                        created_at=at - timedelta(minutes=1),
                    )
                )
            outcomes[group].append(spent)
            if status == "accepted":
                s.add(
                    Conversation(
                        visitor_id=visitor.id,
                        visit_id=visit.id,
                        operator_id=operator.id,
                        status="closed",
                        origin="invitation",
                        created_at=at,
                        queued_at=at,
                        assigned_at=at,
                        first_response_at=at + timedelta(seconds=5 + n % 30),
                        closed_at=at + timedelta(minutes=10),
                        rating=1 + n % 5,
                        rated_at=at + timedelta(minutes=11),
                    )
                )
    return {"rule_id": rule.id, **outcomes}


def expected_rate_diff(t: list, c: list) -> tuple[float, float, float]:
    pt = sum(v is not None for v in t) / len(t)
    pc = sum(v is not None for v in c) / len(c)
    se = math.sqrt(pt * (1 - pt) / len(t) + pc * (1 - pc) / len(c))
    return pt - pc, pt - pc - 1.959964 * se, pt - pc + 1.959964 * se


def expected_check_diff(t: list, c: list) -> tuple[float, float, float]:
    bt = [v for v in t if v is not None]
    bc = [v for v in c if v is not None]

    def var(xs: list[float]) -> float:
        m = sum(xs) / len(xs)
        return sum((x - m) ** 2 for x in xs) / (len(xs) - 1)

    d = sum(bt) / len(bt) - sum(bc) / len(bc)
    se = math.sqrt(var(bt) / len(bt) + var(bc) / len(bc))
    return d, d - 1.959964 * se, d + 1.959964 * se
