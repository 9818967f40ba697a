"""Shapes of the JSON the admin and offers APIs answer with, for prilavok.openapi."""

from __future__ import annotations

from typing import Any


def obj(required: list[str], props: dict[str, Any], extra: bool = True) -> dict[str, Any]:
    return {
        "type": "object",
        "required": required,
        "properties": props,
        "additionalProperties": extra,
    }


STR, INT, BOOL, NUM = (
    {"type": "string"},
    {"type": "integer"},
    {"type": "boolean"},
    {"type": "number"},
)
NULLABLE_NUM = {"type": ["number", "null"]}
ERROR = obj(
    ["error"],
    {"error": obj(["code", "message"], {"code": STR, "message": STR})},
)
OPERATOR = obj(
    ["id", "login", "name", "role", "status", "capacity", "active"],
    {
        "id": INT,
        "login": STR,
        "name": STR,
        "role": STR,
        "status": STR,
        "capacity": INT,
        "active": BOOL,
    },
)
HOT_REPLY = obj(
    ["id", "shortcut", "text", "scope"],
    {"id": INT, "shortcut": STR, "text": STR, "scope": {"enum": ["global", "own"]}},
)
RELATED = obj(
    ["id", "category", "title", "url", "price"],
    {"id": INT, "category": STR, "title": STR, "url": STR, "price": NULLABLE_NUM},
)
CUSTOMER = obj(
    ["id", "shop_id", "name", "phone", "timezone", "consent"],
    {
        "id": INT,
        "shop_id": STR,
        "name": STR,
        "phone": STR,
        "timezone": STR,
        "consent": {"type": "object", "additionalProperties": BOOL},
    },
)
OK = obj(["ok"], {"ok": {"const": True}})
WHEN = {"type": ["string", "null"], "format": "date-time"}
API_KEY = obj(
    ["id", "shop_id", "name", "prefix", "created_at", "last_used_at", "revoked_at"],
    {
        "id": INT,
        "shop_id": STR,
        "name": STR,
        "prefix": STR,
        "created_at": STR,
        "last_used_at": WHEN,
        "revoked_at": WHEN,
    },
)
AUDIT = obj(
    ["id", "at", "actor", "action", "target", "detail"],
    {"id": INT, "at": STR, "actor": STR, "action": STR, "target": STR, "detail": STR},
)

EVENT_ANSWER = obj(["id", "status"], {"id": STR, "status": {"enum": ["new", "duplicate"]}})
