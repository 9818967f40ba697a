"""Whether to offer help now: the server's half of a proactive rule.

The widget times the conditions; the server applies what it alone knows: caps, a chat already
going on, a dismissal, free operators, business hours and the control group.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from prilavok.consult.chat import hours, routing
from prilavok.consult.kernel import audit, templating
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.errors import ConsultError, not_found
from prilavok.consult.kernel.notifier import VISITOR_NS, VISITORS_ROOM
from prilavok.consult.proactive import rules
from prilavok.consult.proactive.rules import RuleIn, public
from prilavok.consult.visitors.visits import current_visit, open_conversation
from prilavok.storage.models import Invitation, ProactiveRule, Visit, Visitor, utcnow


def in_control(visitor_id: int, rule_id: int, holdout_percent: int) -> bool:
    """A stable draw: the same visitor stays in the same group of a rule."""
    digest = hashlib.sha256(f"{visitor_id}:{rule_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < holdout_percent


def no_invitation(reason: str) -> dict[str, Any]:
    return {"action": "none", "reason": reason}


def invitation_values(visitor: Visitor, visit: Visit, operator_name: str | None) -> dict:
    return {
        "visitor.name": visitor.name,
        "operator.name": operator_name,
        "visitor.page": visit.current_title or visit.current_url,
        "cart.count": str(visit.cart_count) if visit.cart_count else None,
        "cart.total": templating.money(visit.cart_total) if visit.cart_total else None,
    }


async def decide(deps: Deps, visitor_id: int, rule_id: int) -> dict[str, Any]:
    now = utcnow()
    async with deps.write() as session:
        rule = await session.get(ProactiveRule, rule_id)
        if rule is None:
            raise not_found("rule")
        if not rule.enabled:
            return no_invitation("disabled")
        if await open_conversation(session, visitor_id) is not None:
            return no_invitation("chatting")
        visit = await current_visit(session, visitor_id, deps.limits)
        visitor = await session.get(Visitor, visitor_id)
        assert visit is not None and visitor is not None
        seen = select(Invitation.id).where(Invitation.visit_id == visit.id)
        if await session.scalar(seen.where(Invitation.status == "dismissed").limit(1)):
            return no_invitation("dismissed")
        capped = select(Invitation.id).where(Invitation.rule_id == rule.id)
        if rule.cap == "day":
            capped = capped.where(
                Invitation.visitor_id == visitor_id,
                Invitation.created_at > now - timedelta(days=1),
            )
        else:
            capped = capped.where(Invitation.visit_id == visit.id)
        if await session.scalar(capped.limit(1)):
            return no_invitation("capped")

        def record(group: str, action: str, status: str) -> Invitation:
            inv = Invitation(
                rule_id=rule.id,
                visitor_id=visitor_id,
                visit_id=visit.id,
                group=group,
                action=action,
                status=status,
                created_at=now,
            )
            session.add(inv)
            return inv

        if in_control(visitor_id, rule.id, rule.holdout_percent):
            record("control", rule.action, "held_back")
            return no_invitation("control")

        open_now = (await hours.load(session)).open_at(now)
        operator = await routing.pick(session, deps.limits) if open_now else None
        action = rule.action
        if action in ("invite", "open") and operator is None:
            if not rule.fallback_callback:
                return no_invitation("busy" if open_now else "closed")
            action = "callback"
        inv = record("treated", action, "shown")
        await session.flush()
        text = templating.render(
            rule.text,
            invitation_values(visitor, visit, operator.display_name if operator else None),
            visitor.locale,
        )
        decision: dict[str, Any] = {"action": action, "invitation_id": inv.id, "text": text}
        if action == "invite":
            decision["operator_name"] = operator.display_name if operator else None
        return decision


async def respond(deps: Deps, visitor_id: int, invitation_id: int, status: str) -> None:
    """The visitor accepted or dismissed an invitation shown to them."""
    async with deps.write() as session:
        inv = await session.get(Invitation, invitation_id)
        if inv is None or inv.visitor_id != visitor_id:
            raise not_found("invitation")
        if inv.status != "shown":
            raise ConsultError("already_answered", "this invitation was already answered", 409)
        inv.status, inv.responded_at = status, utcnow()


async def enabled_rules(deps: Deps) -> list[dict[str, Any]]:
    async with deps.sessions() as session:
        rows = await session.scalars(
            select(ProactiveRule)
            .where(ProactiveRule.enabled.is_(True))
            .order_by(ProactiveRule.priority, ProactiveRule.id)
        )
        return [public(r) for r in rows]


async def push_rules(deps: Deps) -> None:
    """Pages already open re-evaluate with the rules an admin just saved."""
    await deps.notifier.emit(
        "rules", await enabled_rules(deps), room=VISITORS_ROOM, namespace=VISITOR_NS
    )


async def save_rule(deps: Deps, actor: str, data: RuleIn, rule_id: int | None = None) -> dict:
    """An admin's new or changed rule, audited; open pages get the rules after the commit."""
    async with deps.write() as session:
        if rule_id is not None:
            rule = await session.get(ProactiveRule, rule_id)
            if rule is None:
                raise not_found("rule")
        else:
            rule = ProactiveRule(created_at=utcnow())
            session.add(rule)
        rules.apply(rule, data)
        rule.updated_at = utcnow()
        await session.flush()
        saved = rules.full(rule)
        verb = "rule.change" if rule_id is not None else "rule.create"
        audit.record(session, actor, verb, f"rule:{rule.id}", rule.name)
    await push_rules(deps)
    return saved


async def delete_rule(deps: Deps, actor: str, rule_id: int) -> None:
    async with deps.write() as session:
        rule = await session.get(ProactiveRule, rule_id)
        if rule is None:
            raise not_found("rule")
        await session.delete(rule)
        audit.record(session, actor, "rule.delete", f"rule:{rule.id}", rule.name)
    await push_rules(deps)
