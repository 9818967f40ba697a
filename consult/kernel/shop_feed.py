"""What the widget learns about an identified customer, handed on as shop events.

consult does not know who listens (the journeys of the offers side, wired by prilavok/): it
calls the feed it was given after its own transaction has committed, with events in the shape
of `POST /api/v1/events` (docs/journeys.md). A failing listener never fails the widget.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any, Protocol

log = logging.getLogger(__name__)


class ShopFeed(Protocol):
    async def __call__(self, events: list[dict[str, Any]]) -> None: ...


async def send(feed: ShopFeed | None, events: list[dict[str, Any]]) -> None:
    if feed is None or not events:
        return
    try:
        await feed(events)
    except Exception:  # the visitor's cart or purchase is saved; journeys may miss this one
        log.exception("shop feed failed")


def items(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Widget items (id, name, price, quantity, category) as event items (sku, ...)."""
    out = []
    for i in raw:
        item = {"sku": i["id"], "name": i.get("name", ""), "price": i.get("price", 0)}
        item["quantity"] = i.get("quantity", 1)
        if i.get("category"):
            item["category"] = i["category"]
        out.append(item)
    return out


def cart_event(external_id: str, visit_id: int, cart: dict[str, Any]) -> dict[str, Any]:
    # The same cart sent twice (a reload) is the same event.
    digest = hashlib.sha256(json.dumps(cart, sort_keys=True).encode()).hexdigest()[:16]
    return {
        "id": f"widget:cart:{visit_id}:{digest}",
        "type": "cart.changed",
        "customer": {"id": external_id},
        "cart": {"id": f"visit-{visit_id}", "items": items(cart["items"]), "total": cart["total"]},
    }


def purchase_event(
    external_id: str, order_id: str, total: float, raw_items: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "id": f"widget:purchase:{order_id}",
        "type": "purchase",
        "customer": {"id": external_id},
        "order": {"id": order_id, "total": total, "items": items(raw_items)},
    }


def identified_event(external_id: str, visitor_id: int, name: str | None) -> dict[str, Any]:
    customer: dict[str, Any] = {"id": external_id}
    if name:
        customer["name"] = name[:200]
    return {
        "id": f"widget:identify:{visitor_id}:{external_id}"[:100],
        "type": "customer.identified",
        "customer": customer,
    }
