"""The OpenAPI description of the journeys routes: shop events, the YML catalog feed, and the
journeys' admin API; merged into `prilavok.openapi.document()`."""

from __future__ import annotations

from typing import Any


def paths() -> dict[str, dict[str, Any]]:
    # The shared builders, imported when called (prilavok.openapi imports this module).
    from prilavok.openapi import _op, _ref
    from prilavok.openapi_shapes import EVENT_ANSWER, INT, NUM, STR
    from prilavok.openapi_shapes import obj as _obj

    return {
        "/api/v1/catalog/yml": {
            "post": {
                **_op(
                    "The catalog from a YML feed sent as the body (streamed, any size to 512 MiB)",
                    "offers",
                    ok=(200, _obj(["imported"], {"imported": {"type": "object"}})),
                    errors=(400, 413),
                ),
                "requestBody": {
                    "required": True,
                    "content": {"application/xml": {"schema": {"type": "string"}}},
                },
            }
        },
        "/api/v1/catalog/yml-source": {
            "put": _op(
                "Fetch the catalog from this YML feed URL every N minutes (15 to 10080)",
                "offers",
                body=_obj(["url"], {"url": STR, "every_minutes": INT}, extra=False),
                ok=(200, _obj(["source"], {"source": {"type": "object"}})),
            )
        },
        "/api/v1/events": {
            "post": {
                **_op(
                    "Shop events in: orders, statuses, purchases, carts, views, a batch of up "
                    "to 1,000 (idempotent by id); 201 when any was new, 200 when all were "
                    "repeats",
                    "offers",
                    body=_ref("EventsIn"),
                    ok=(
                        201,
                        _obj(["events"], {"events": {"type": "array", "items": EVENT_ANSWER}}),
                    ),
                    errors=(400,),
                ),
                "description": (
                    "Each event is answered in the batch's order, `new` or `duplicate`: an id "
                    "the shop sent before (or earlier in the same batch) is the same event and "
                    "changes nothing, so a batch may be sent again after a lost answer. The "
                    "batch is checked whole first: one invalid event refuses all of it (400 "
                    "`invalid_payload`, the message naming `events[i]` and the field), more "
                    "than 1,000 is 400 `too_many`, and nothing of a refused batch is stored."
                ),
            }
        },
        "/admin/api/journeys": {
            "get": _op(
                "Journeys with their definitions and reports (per step, uplift, cost)",
                "admin",
                ok=(200, _obj(["journeys", "prices"], {"journeys": {"type": "array"}})),
                errors=(),
            )
        },
        "/admin/api/journeys/{id}": {
            "put": _op(
                "Change a journey (its trigger, steps, templates, exits, holdout)",
                "admin",
                body=_ref("JourneyIn"),
                params=["id"],
                ok=(200, _obj(["journey"], {"journey": {"type": "object"}})),
                errors=(400, 404),
            )
        },
        "/admin/api/channel-prices": {
            "put": _op(
                "Rubles a message per channel (an SMS segment, a Viber message), for the reports",
                "admin",
                body=_obj([], {"sms": NUM, "viber": NUM, "telegram": NUM}, extra=False),
                ok=(200, _obj(["prices"], {"prices": {"type": "object"}})),
            )
        },
        "/admin/api/customers/{id}/timeline": {
            "get": _op(
                "A customer's journeys, steps and messages",
                "admin",
                params=["id"],
                ok=(200, _obj(["customer", "journeys"], {"journeys": {"type": "array"}})),
                errors=(404,),
            )
        },
    }
