"""The OpenAPI description of the lifecycle offers' routes: licences from 1C's CSV, the
shop's checkout secret for renewal links; merged into `prilavok.openapi.document()`."""

from __future__ import annotations

from typing import Any


def paths() -> dict[str, dict[str, Any]]:
    # The shared builders, imported when called (prilavok.openapi imports this module).
    from prilavok.openapi import _op
    from prilavok.openapi_shapes import INT, STR
    from prilavok.openapi_shapes import obj as _obj

    imported = _obj(["rows", "new", "duplicate"], {"rows": INT, "new": INT, "duplicate": INT})
    secret = {**STR, "minLength": 16, "maxLength": 200}
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
                "requestBody": {
                    "required": True,
                    "content": {"text/csv": {"schema": {"type": "string"}}},
                },
            }
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
