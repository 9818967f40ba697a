"""Customer lists as Russian shops' spreadsheets export them: UTF-8 (with or without BOM) or
Windows-1251, comma- or semicolon-separated; bad rows are reported by their line in the file."""

from __future__ import annotations

import csv
import io
from typing import Any

from prilavok.consult.kernel.errors import ConsultError

CHANNELS = ("telegram", "viber", "sms")
REQUIRED = ("name", "phone")
_TRUTHY = {"1", "yes", "y", "true", "да", "д", "+"}
# Headers as Russian spreadsheets name them.
_ALIASES = {"имя": "name", "фио": "name", "телефон": "phone", "часовой пояс": "timezone"}


def decode(data: bytes) -> str:
    """UTF-8 first (Excel's "CSV UTF-8" adds a BOM); 1C and older Excel write Windows-1251.
    Any byte string decodes as cp1251, so a UTF-8 failure is the only signal we need."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251")


def _dialect(header: str) -> str:
    # Russian Excel separates by ';' because ',' is the decimal mark; the header tells which.
    return ";" if header.count(";") > header.count(",") else ","


def parse(text: str) -> list[tuple[int, dict[str, Any]]]:
    """Rows as (line in the file, customer dict); columns: name, phone, timezone and the consents
    telegram, viber, sms (yes/no, да/нет, 1/0, true/false, +). Column names ignore case."""
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise ConsultError("invalid_payload", "the CSV file is empty")
    reader = csv.reader(io.StringIO(text), delimiter=_dialect(lines[0]))
    header = [h.strip().lower() for h in next(reader)]
    header = [_ALIASES.get(h, h) for h in header]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ConsultError(
            "invalid_payload",
            f"line 1: the header lacks columns {', '.join(missing)} (found: {', '.join(header)})",
        )
    rows: list[tuple[int, dict[str, Any]]] = []
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(header):
            raise ConsultError(
                "invalid_payload",
                f"line {line}: {len(values)} fields, the header has {len(header)}",
            )
        row = dict(zip(header, values, strict=False))
        item: dict[str, Any] = {"name": row.get("name", ""), "phone": row.get("phone", "")}
        if row.get("timezone", "").strip():
            item["timezone"] = row["timezone"].strip()
        item["consent"] = {c: row[c].strip().lower() in _TRUTHY for c in CHANNELS if c in row}
        rows.append((line, item))
    if not rows:
        raise ConsultError("invalid_payload", "the CSV file has a header but no rows")
    return rows
