"""Past orders from 1C's CSV export, as `purchase` events: a row an item (order, customer id
and/or phone, name, date, sku, title, category, price, quantity, gift, recipient); the rows
of one order make one event, `csv-order:<order>`, dated at noon (Moscow) of its day, so the
offer calendar reads the history as if it had come by the events API. Sending the file again
changes nothing; a bad row refuses the file by its line (bot/licence_csv.py reads the file)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from prilavok.bot.licence_csv import customer_of, parse_date, table
from prilavok.consult.kernel.errors import ConsultError

REQUIRED = ("order", "date", "sku")
_TRUTHY = {"1", "yes", "y", "true", "да", "д", "+"}
_ALIASES = {
    "заказ": "order", "номер заказа": "order", "клиент": "customer", "код клиента": "customer",
    "customer_id": "customer", "телефон": "phone", "имя": "name", "фио": "name",
    "дата": "date", "артикул": "sku", "товар": "title", "наименование": "title",
    "категория": "category", "цена": "price", "количество": "quantity", "подарок": "gift",
    "получатель": "recipient",
}  # fmt: skip
NOON_MSK = time(9, 0, tzinfo=UTC)


def _number(raw: str, line: int, name: str) -> Decimal:
    try:
        value = Decimal(raw.replace(" ", "").replace(",", ".") or "0")
    except InvalidOperation:
        raise ConsultError("invalid_payload", f"line {line}: {name} {raw!r} is no number") from None
    if not value.is_finite() or value < 0 or value > Decimal("1e9"):
        raise ConsultError("invalid_payload", f"line {line}: {name} is out of range")
    return value


def events(data: bytes) -> list[tuple[int, dict[str, Any]]]:
    orders: dict[str, tuple[int, dict[str, Any]]] = {}
    for line, row in table(data, _ALIASES, REQUIRED):
        day = date.fromisoformat(parse_date(row.get("date", ""), line, "date"))
        at = datetime.combine(day, NOON_MSK)
        quantity = int(_number(row.get("quantity") or "1", line, "quantity")) or 1
        price = _number(row.get("price", ""), line, "price")
        item = {"sku": row.get("sku", ""), "name": row.get("title", ""),
                "price": float(price), "quantity": min(quantity, 10_000)}  # fmt: skip
        if row.get("category"):
            item["category"] = row["category"]
        ref = row.get("order", "")
        if ref not in orders:
            order = {"id": ref, "total": 0.0, "items": [], "offline": True,
                     "gift": row.get("gift", "").lower() in _TRUTHY}  # fmt: skip
            if row.get("recipient"):
                order["recipient"] = row["recipient"]
            event = {"id": f"csv-order:{ref}"[:100], "type": "purchase", "at": at.isoformat(),
                     "customer": customer_of(row), "order": order}  # fmt: skip
            orders[ref] = (line, event)
        order = orders[ref][1]["order"]
        order["items"].append(item)
        order["total"] = round(order["total"] + float(price) * item["quantity"], 2)
    return list(orders.values())
