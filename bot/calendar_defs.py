"""The offer calendar's rules as the admin edits them, checked whole before anything changes.

A rule: after a purchase in `category` whose price is within [price_min, price_max), wait
`delay_days`, then
- `accessory`: offer the cheapest good in stock of `offer_category` (the device's price band
  decides which accessory category: one rule per band);
- `upgrade`: offer the newer model — the cheapest good in stock of the same category priced
  above the one bought (`delay_days` is the product's lifetime);
- `gift`: for a purchase marked as a gift, a call-back task for staff to check on the
  recipient (no message to the customer).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from prilavok.bot import message_templates
from prilavok.consult.kernel import payloads
from prilavok.consult.kernel.errors import ConsultError
from prilavok.storage.models import CalendarRule

KINDS = ("accessory", "upgrade", "gift")
# A calendar offer's template also sees the purchase it follows.
SAMPLE = {
    **message_templates.SAMPLE,
    "bought": {"title": "Смартфон «Нева 12»", "category": "phones"},
}
SETTINGS_KEY = "calendar:{shop}"
DEFAULT_PERIOD_DAYS = 30


class CalendarRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    shop_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    kind: Literal[KINDS]  # type: ignore[valid-type]
    category: str = Field(min_length=1, max_length=100)
    price_min: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    price_max: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    offer_category: str | None = Field(default=None, min_length=1, max_length=100)
    delay_days: int = Field(ge=0, le=3650)
    enabled: bool = True
    holdout_percent: int = Field(default=10, ge=0, le=50)
    template: str = Field(default="", max_length=4000)
    sms_template: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _consistent(self) -> CalendarRuleIn:
        if self.kind == "accessory" and not self.offer_category:
            raise ValueError("an accessory rule needs offer_category")
        if self.kind != "gift" and not self.template:
            raise ValueError(f"a {self.kind} rule needs a template")
        low, high = self.price_min, self.price_max
        if low is not None and high is not None and low >= high:
            raise ValueError("price_min must be below price_max")
        return self


class CalendarSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shop_id: str = Field(min_length=1, max_length=64)
    # At most one calendar offer per customer in this many days.
    period_days: int = Field(ge=1, le=365)


def parse(data: Any) -> CalendarRuleIn:
    rule = payloads.parse(CalendarRuleIn, data)
    for field in ("template", "sms_template"):
        source = getattr(rule, field)
        if source:
            try:
                message_templates.check(source, SAMPLE)
            except ConsultError as exc:
                raise ConsultError(exc.code, f"{field}: {exc.message}") from None
    return rule


def apply(row: CalendarRule, rule: CalendarRuleIn) -> None:
    for key, value in rule.model_dump().items():
        setattr(row, key, value)


def _money(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def as_dict(row: CalendarRule) -> dict[str, Any]:
    money = _money
    return {
        "id": row.id,
        "shop_id": row.shop_id,
        "name": row.name,
        "kind": row.kind,
        "category": row.category,
        "price_min": money(row.price_min),
        "price_max": money(row.price_max),
        "offer_category": row.offer_category,
        "delay_days": row.delay_days,
        "enabled": row.enabled,
        "holdout_percent": row.holdout_percent,
        "template": row.template,
        "sms_template": row.sms_template,
    }


def in_band(rule: CalendarRule, price: Decimal) -> bool:
    if rule.price_min is not None and price < rule.price_min:
        return False
    return rule.price_max is None or price < rule.price_max
