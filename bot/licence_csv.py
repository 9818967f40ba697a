"""Licences from 1C's CSV export, as `licence.updated` events: each row names the licence,
its customer (the shop's id and/or phone, a name), the product, the term and the end date.
Encoding and separator as customers' CSV (bot/customer_csv.py); dates as 1C writes them
(31.12.2026) or ISO (2026-12-31). A bad row refuses the file, named by its line."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from prilavok.bot import shop_events
from prilavok.bot.customer_csv import decode
from prilavok.consult.kernel.errors import ConsultError

REQUIRED = ("licence", "sku", "ends_on")
MAX_ROWS = 100_000
# Headers as 1C and Russian spreadsheets name them.
_ALIASES = {
    "лицензия": "licence", "license": "licence", "id": "licence", "подписка": "licence",
    "клиент": "customer", "customer_id": "customer", "код клиента": "customer",
    "телефон": "phone", "имя": "name", "фио": "name", "артикул": "sku", "товар": "title",
    "наименование": "title", "срок": "term", "окончание": "ends_on",
    "дата окончания": "ends_on", "количество": "quantity", "часовой пояс": "timezone",
}  # fmt: skip


def parse_date(raw: str, line: int, name: str = "ends_on") -> str:
    text = raw.strip()
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    raise ConsultError("invalid_payload", f"line {line}: {name} {text!r} is no date")


def table(
    data: bytes, aliases: dict[str, str], required: tuple[str, ...]
) -> list[tuple[int, dict[str, str]]]:
    """The file's rows as (line, {column: text}), columns named by `aliases`; each row needs
    the customer's id or phone. Refuses NUL characters and what the csv module cannot read."""
    text = decode(data)
    if "\x00" in text:  # no database text holds it, and no real export has it
        raise ConsultError("invalid_payload", "the CSV file has NUL characters")
    try:
        return _rows(text, aliases, required)
    except csv.Error as exc:  # a field past the csv module's limit, a stray quote
        raise ConsultError("invalid_payload", f"not a readable CSV file: {exc}") from None


def _rows(
    text: str, aliases: dict[str, str], required: tuple[str, ...]
) -> list[tuple[int, dict[str, str]]]:
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise ConsultError("invalid_payload", "the CSV file is empty")
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [aliases.get(h.strip().lower(), h.strip().lower()) for h in next(reader)]
    missing = [c for c in required if c not in header]
    if missing:
        raise ConsultError("invalid_payload", f"line 1: the header lacks {', '.join(missing)}")
    if "customer" not in header and "phone" not in header:
        raise ConsultError("invalid_payload", "line 1: the header lacks customer or phone")
    out: list[tuple[int, dict[str, str]]] = []
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(header):
            raise ConsultError("invalid_payload", f"line {line}: more fields than the header")
        if len(out) >= MAX_ROWS:
            raise ConsultError("too_many", f"at most {MAX_ROWS} rows a file")
        out.append((line, {k: v.strip() for k, v in zip(header, values, strict=False)}))
    if not out:
        raise ConsultError("invalid_payload", "the CSV file has a header but no rows")
    return out


def customer_of(row: dict[str, str]) -> dict[str, str]:
    customer = {k: row[k] for k in ("phone", "name", "timezone") if row.get(k)}
    if row.get("customer"):
        customer["id"] = row["customer"]
    return customer


def events(data: bytes) -> list[tuple[int, dict[str, Any]]]:
    """The file's rows as (line, event); the intake checks each one as an API event."""
    out: list[tuple[int, dict[str, Any]]] = []
    for line, row in table(data, _ALIASES, REQUIRED):
        ends_on = parse_date(row.get("ends_on", ""), line)
        customer = customer_of(row)
        licence: dict[str, Any] = {"id": row.get("licence", ""), "sku": row.get("sku", ""),
                                   "title": row.get("title", ""), "term": row.get("term", ""),
                                   "ends_on": ends_on}  # fmt: skip
        if row.get("quantity"):
            if not row["quantity"].isdigit():
                raise ConsultError("invalid_payload", f"line {line}: quantity is no number")
            licence["quantity"] = int(row["quantity"])
        event_id = f"csv:{licence['id']}:{ends_on}"[:100]
        event = {"id": event_id, "type": "licence.updated", "customer": customer}
        out.append((line, {**event, "licence": licence}))
    return out


async def load(
    intake: shop_events.Intake, shop_id: str, rows: list[tuple[int, dict[str, Any]]]
) -> dict[str, int]:
    """Every event checked first (a bad one refuses the file, by its line), then stored a
    thousand at a time; an event sent before is a duplicate and changes nothing."""
    parsed: list[shop_events.EventIn] = []
    for line, item in rows:
        try:
            parsed.extend(shop_events.parse_batch({"events": [item]}))
        except ConsultError as exc:
            raise ConsultError(exc.code, f"line {line}: {exc.message}") from None
    counts = {"events": len(parsed), "new": 0, "duplicate": 0}
    for start in range(0, len(parsed), shop_events.MAX_BATCH):
        batch = parsed[start : start + shop_events.MAX_BATCH]
        answer = await shop_events.record(
            intake.ctx, shop_id, batch, source="csv", listeners=intake.listeners
        )
        for one in answer:
            counts[one["status"]] += 1
    return counts
