"""Proactive rules: their shape (validated), and the part of them the widget needs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from prilavok.consult.kernel import payloads
from prilavok.storage.models import ProactiveRule


class _Cond(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SecondsOnSite(_Cond):
    type: Literal["seconds_on_site"]
    value: Annotated[int, Field(ge=0, le=24 * 3600)]


class PagesViewed(_Cond):
    type: Literal["pages_viewed"]
    value: Annotated[int, Field(ge=1, le=10_000)]


class IdleOnPage(_Cond):
    type: Literal["idle_on_page"]
    seconds: Annotated[int, Field(ge=1, le=24 * 3600)]
    url_pattern: Annotated[str, Field(min_length=1, max_length=500)] = "*"


class CartNotEmpty(_Cond):
    type: Literal["cart_not_empty"]


class CartTotalAtLeast(_Cond):
    type: Literal["cart_total_at_least"]
    value: Annotated[float, Field(ge=0)]


class ExitIntent(_Cond):
    type: Literal["exit_intent"]


class ReturningVisitor(_Cond):
    type: Literal["returning_visitor"]


class CustomerKnown(_Cond):
    type: Literal["customer_known"]


Condition = Annotated[
    SecondsOnSite
    | PagesViewed
    | IdleOnPage
    | CartNotEmpty
    | CartTotalAtLeast
    | ExitIntent
    | ReturningVisitor
    | CustomerKnown,
    Field(discriminator="type"),
]


class Conditions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    match: Literal["all", "any"] = "all"
    items: Annotated[list[Condition], Field(min_length=1, max_length=20)]


class RuleIn(BaseModel):
    """What an admin sends to create or change a rule."""

    model_config = ConfigDict(extra="ignore")
    name: Annotated[str, Field(min_length=1, max_length=200)]
    enabled: bool = True
    priority: Annotated[int, Field(ge=-1000, le=1000)] = 0
    conditions: Conditions
    action: Literal["invite", "open", "callback"] = "invite"
    text: Annotated[str, Field(max_length=1000)] = ""
    fallback_callback: bool = False
    cap: Literal["visit", "day"] = "visit"
    holdout_percent: Annotated[int, Field(ge=0, le=50)] = 10


def parse_rule(data: Any) -> RuleIn:
    return payloads.parse(RuleIn, data)


def apply(rule: ProactiveRule, data: RuleIn) -> None:
    rule.name = data.name.strip()
    rule.enabled = data.enabled
    rule.priority = data.priority
    rule.conditions = data.conditions.model_dump()
    rule.action = data.action
    rule.text = data.text
    rule.fallback_callback = data.fallback_callback
    rule.cap = data.cap
    rule.holdout_percent = data.holdout_percent


def full(rule: ProactiveRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "enabled": rule.enabled,
        "priority": rule.priority,
        "conditions": rule.conditions,
        "action": rule.action,
        "text": rule.text,
        "fallback_callback": rule.fallback_callback,
        "cap": rule.cap,
        "holdout_percent": rule.holdout_percent,
    }


def public(rule: ProactiveRule) -> dict[str, Any]:
    """What the widget evaluates: conditions and the kind of action, no texts or shares."""
    return {"id": rule.id, "conditions": rule.conditions, "action": rule.action}
