"""What a journey is, as the admin edits it, and the two journeys every shop starts with.

A definition (JSON in `journeys.definition`):

    trigger: {"type": "cart.changed"}            the event that enters a customer
    steps:   [{"wait_minutes": 15, "after": "activity", "until_hour": null,
               "if": ["no_purchase"], "template": "...", "sms_template": "..."}]
    exits:   ["purchase", "opt_out", "newer_status"]

An order journey (trigger order.created / order.status_changed) has one step per status
("status": "confirmed"): each status event schedules its step, a newer status drops the
older one not yet sent, a skipped status sends nothing. Templates see `customer`, `order`,
`cart`, `similar` (goods in stock from the cart's categories) and `link`.
A licence journey (trigger licence.updated) times each step by the licence's end
("before_end_days": 7) and its `link` opens the shop's checkout prefilled (bot/renewals.py).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from prilavok.bot import message_templates
from prilavok.bot.shop_events import STATUSES
from prilavok.consult.kernel import payloads
from prilavok.consult.kernel.errors import ConsultError

CONDITIONS = ("no_purchase", "cart_not_empty")
EXITS = ("purchase", "opt_out", "newer_status")
ORDER_TRIGGERS = ("order.created", "order.status_changed")

SAMPLE: dict[str, Any] = {
    **message_templates.SAMPLE,
    "order": {
        "id": "12465",
        "status": "confirmed",
        "total": "8450",
        "delivery_time": "завтра с 10 до 14",
        "courier": "Алексей, +7 900 000-00-00",
        "call_time": "сегодня в 18:00",
    },
    "cart": {"total": "2980", "count": 2, "items": [{"name": "Чехол", "price": "990"}]},
    "similar": [{"title": "Стекло", "price": "490", "url": "https://shop.example/p/2"}],
    "shop": {"contact": "+7 800 000-00-00"},
    "licence": {"id": "L-1", "sku": "kis-1y", "title": "Антивирус на год", "term": "1 год",
                "ends_on": "10.01.2027", "days_left": 7, "quantity": 1},
}  # fmt: skip


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    status: Literal[STATUSES] | None = None  # type: ignore[valid-type]
    wait_minutes: int = Field(default=0, ge=0, le=60 * 24 * 90)
    # "activity": counted from the customer's last cart change or view (the visit's end);
    # "previous": from the step before (or the trigger).
    after: Literal["activity", "previous"] = "previous"
    # Then on to this hour of the day in the customer's time zone (0-23), if set.
    until_hour: int | None = Field(default=None, ge=0, le=23)
    # Licence journeys: this many days before the licence's end (0: on the day), at
    # `until_hour` (default 11) in the customer's zone, instead of `wait_minutes`.
    before_end_days: int | None = Field(default=None, ge=0, le=365)
    conditions: list[Literal[CONDITIONS]] = Field(default_factory=list, alias="if")  # type: ignore[valid-type]
    template: str = Field(min_length=1, max_length=4000)
    sms_template: str | None = Field(default=None, max_length=1000)


class TriggerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal[
        "cart.changed", "order.created", "order.status_changed", "product.viewed",
        "licence.updated",
    ]  # fmt: skip


class DefinitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trigger: TriggerIn
    steps: list[StepIn] = Field(min_length=1, max_length=20)
    exits: list[Literal[EXITS]] = Field(default_factory=list)  # type: ignore[valid-type]
    # Where a restored cart opens: {items} becomes "sku:qty,sku:qty", {sig} the signature.
    cart_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")
    contact: str = Field(default="", max_length=200)
    # Licence journeys: the shop's checkout, filled and signed by /r/<code> (bot/renewals.py).
    checkout_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")

    @model_validator(mode="after")
    def _consistent(self) -> DefinitionIn:
        by_status = self.trigger.type in ORDER_TRIGGERS
        by_end = self.trigger.type == "licence.updated"
        for i, step in enumerate(self.steps):
            if by_status != (step.status is not None):
                raise ValueError(f"steps[{i}]: order journeys have a status per step, others none")
            if by_end != (step.before_end_days is not None):
                raise ValueError(f"steps[{i}]: licence journeys time each step by before_end_days")
        return self

    def is_licence(self) -> bool:
        return self.trigger.type == "licence.updated"

    def is_order(self) -> bool:
        return self.trigger.type in ORDER_TRIGGERS

    def step_for(self, status: str) -> int | None:
        return next((i for i, s in enumerate(self.steps) if s.status == status), None)


class JourneyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    enabled: bool = True
    purpose: Literal["marketing", "service"] = "marketing"
    holdout_percent: int = Field(default=0, ge=0, le=50)
    definition: DefinitionIn


def parse(data: Any) -> JourneyIn:
    journey = payloads.parse(JourneyIn, data)
    for i, step in enumerate(journey.definition.steps):
        for source in (step.template, step.sms_template):
            if source:
                try:
                    message_templates.check(source, SAMPLE)
                except ConsultError as exc:
                    raise ConsultError(exc.code, f"steps[{i}]: {exc.message}") from None
    return journey


def definition(raw: dict[str, Any]) -> DefinitionIn:
    return DefinitionIn.model_validate(raw)


ABANDONED_CART = {
    "name": "Брошенная корзина",
    "purpose": "marketing",
    "holdout_percent": 10,
    "definition": {
        "trigger": {"type": "cart.changed"},
        "exits": ["purchase", "opt_out"],
        "steps": [
            {
                "wait_minutes": 15,
                "after": "activity",
                "if": ["no_purchase", "cart_not_empty"],
                "template": "{{ customer.first_name }}, вы оставили в корзине товары на "
                "{{ cart.total }} руб. Вернуться к покупке: {{ link }}",
                "sms_template": "Ваша корзина на {{ cart.total }} руб. ждёт: {{ link }}",
            },
            {
                "wait_minutes": 24 * 60,
                "if": ["no_purchase", "cart_not_empty"],
                "template": "{{ customer.first_name }}, товары ещё ждут вас."
                "{% for p in similar %}\nПохожее в наличии: {{ p.title }} — {{ p.price }} руб."
                "{% endfor %}\nКорзина: {{ link }}",
                "sms_template": "Товары в корзине ещё ждут вас: {{ link }}",
            },
        ],
    },
}

ORDER_STATUS = {
    "name": "Статус заказа",
    "purpose": "service",
    "holdout_percent": 0,
    "definition": {
        "trigger": {"type": "order.status_changed"},
        "exits": ["newer_status"],
        "steps": [
            {"status": "received", "template": "{{ customer.first_name }}, ваш заказ "
             "№{{ order.id }} получен. Мы позвоним, чтобы подтвердить его."},
            {"status": "not_reached", "template": "{{ customer.first_name }}, мы не дозвонились "
             "по заказу №{{ order.id }}. Позвоним снова {{ order.call_time }}."},
            {"status": "confirmed", "template": "{{ customer.first_name }}, ваш заказ "
             "№{{ order.id }} на сумму {{ order.total }} руб. подтверждён."},
            {"status": "out_for_delivery", "template": "Заказ №{{ order.id }} в пути: "
             "{{ order.delivery_time }}, курьер {{ order.courier }}."},
            {"status": "delivered", "template": "Заказ №{{ order.id }} доставлен. Спасибо за "
             "покупку! Оцените нас, пожалуйста: ответьте цифрой от 1 до 5."},
            {"status": "cancelled", "template": "Заказ №{{ order.id }} отменён. Простите нас "
             "за неудобство; вопросы — по телефону {{ shop.contact }}."},
        ],
    },
}  # fmt: skip

RENEWAL = {
    "name": "Продление лицензии",
    "purpose": "marketing",
    "holdout_percent": 10,
    "definition": {
        "trigger": {"type": "licence.updated"},
        "exits": ["opt_out"],
        "steps": [
            {"before_end_days": 7, "until_hour": 11, "template": "{{ customer.first_name }}, "
             "«{{ licence.title }}» действует до {{ licence.ends_on }}. Продлить на "
             "{{ licence.term }} в два касания — данные уже заполнены: {{ link }}",
             "sms_template": "{{ licence.title }} до {{ licence.ends_on }}. Продлить: {{ link }}"},
            {"before_end_days": 0, "until_hour": 11, "template": "{{ customer.first_name }}, "
             "сегодня заканчивается «{{ licence.title }}». Продлить без ввода данных: {{ link }}",
             "sms_template": "{{ licence.title }} заканчивается сегодня. Продлить: {{ link }}"},
        ],
    },
}  # fmt: skip

SHIPPED = {"abandoned_cart": ABANDONED_CART, "order_status": ORDER_STATUS, "renewal": RENEWAL}
