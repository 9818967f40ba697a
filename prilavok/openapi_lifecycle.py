"""The OpenAPI description of the lifecycle offers' routes: licences from 1C's CSV, the
shop's checkout secret for renewal links; merged into `prilavok.openapi.document()`."""

from __future__ import annotations

from typing import Any


def paths() -> dict[str, dict[str, Any]]:
    # The shared builders, imported when called (prilavok.openapi imports this module).
    from prilavok.openapi import _op, _ref
    from prilavok.openapi_shapes import INT, STR
    from prilavok.openapi_shapes import obj as _obj

    imported = _obj(["events", "new", "duplicate"], {"events": INT, "new": INT, "duplicate": INT})
    csv_body = {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
    secret = {**STR, "minLength": 16, "maxLength": 200}
    arr, obj = {"type": "array"}, {"type": "object"}
    return {
        "/api/v1/licences/csv": {
            "post": {
                **_op(
                    "Licences and subscriptions from 1C's CSV export (licence, customer or "
                    "phone, sku, title, term, ends_on), each row a licence.updated event; "
                    "201 when any row was new",
                    "offers",
                    ok=(201, _obj(["imported"], {"imported": imported})),
                    errors=(200, 400, 413),
                ),
                "requestBody": csv_body,
            }
        },
        "/api/v1/orders/csv": {
            "post": {
                **_op(
                    "Past orders from 1C's CSV export, an item a row (order, customer or phone, "
                    "date, sku, title, category, price, quantity, gift, recipient): one purchase "
                    "event an order, the offer calendar's history; 201 when any was new",
                    "offers",
                    ok=(201, _obj(["imported"], {"imported": imported})),
                    errors=(200, 400, 413),
                ),
                "requestBody": csv_body,
            }
        },
        "/admin/api/calendar/rules": {
            "get": _op(
                "The offer calendar's rules, and each shop's period between two offers (days)",
                "admin",
                ok=(200, _obj(["rules", "periods"], {"rules": arr, "periods": obj})),
                errors=(),
            ),
            "post": _op(
                "Add a rule: after a purchase in a category (a price band), an accessory, the "
                "newer model, or a call about a gift, so many days later",
                "admin",
                body=_ref("CalendarRuleIn"),
                ok=(201, _obj(["rule"], {"rule": obj})),
            ),
        },
        "/admin/api/calendar/rules/{id}": {
            "put": _op(
                "Change a rule",
                "admin",
                body=_ref("CalendarRuleIn"),
                params=["id"],
                ok=(200, _obj(["rule"], {"rule": obj})),
                errors=(400, 404),
            ),
            "delete": _op(
                "Turn a rule off (its plans stay for the report)",
                "admin",
                params=["id"],
                ok=(200, _obj(["rule"], {"rule": obj})),
                errors=(404,),
            ),
        },
        "/admin/api/calendar/settings": {
            "put": _op(
                "At most one calendar offer per customer in period_days (a shop's setting)",
                "admin",
                body=_ref("CalendarSettingsIn"),
                ok=(200, _obj(["settings"], {"settings": obj})),
            )
        },
        "/admin/api/calendar/plan": {
            "post": _op(
                "Plan the shop's due calendar offers now (the server does it every hour)",
                "admin",
                body=_obj(["shop_id"], {"shop_id": STR}, extra=False),
                ok=(200, _obj(["planned"], {"planned": obj})),
            )
        },
        "/admin/api/calendar/report": {
            "get": _op(
                "Per calendar rule: planned, held out, sent by channel, ordered, revenue, "
                "uplift with its 95% interval, cost by channel, revenue per ruble "
                "(/admin/calendar/report.csv: every journey and rule as CSV)",
                "admin",
                ok=(200, _obj(["rules"], {"rules": arr})),
                errors=(),
            )
        },
        "/api/v1/checkout-secret": {
            "put": _op(
                "The key (16-200 characters) the shop's checkout verifies renewal links with: "
                "sig = hex HMAC-SHA256 of the canonical query (docs/journeys.md)",
                "offers",
                body=_obj(["secret"], {"secret": secret}, extra=False),
                ok=(200, _obj(["checkout_secret"], {"checkout_secret": {"type": "object"}})),
            )
        },
    }
