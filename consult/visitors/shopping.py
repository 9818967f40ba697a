"""What the shop tells us about a visitor: who they are, their cart, their purchases."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from prilavok.consult.kernel import audit, shop_feed
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.errors import ConsultError, not_found
from prilavok.consult.visitors.visits import carry_page, current_visit, tell_operator
from prilavok.storage.models import Purchase, RelatedProduct, Visitor, utcnow

RELATED_SHOWN = 6


class Item(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: Annotated[str, Field(min_length=1, max_length=100)]
    name: Annotated[str, Field(max_length=300)] = ""
    price: Annotated[float, Field(ge=0, le=1e9)] = 0
    quantity: Annotated[int, Field(ge=1, le=10_000)] = 1
    category: Annotated[str, Field(max_length=100)] | None = None
    url: Annotated[str, Field(max_length=2048)] | None = None


class CartIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    items: Annotated[list[Item], Field(max_length=200)] = []
    total: Annotated[float, Field(ge=0, le=1e10)] | None = None


class PurchaseIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    order_id: Annotated[str, Field(min_length=1, max_length=100)]
    total: Annotated[float, Field(ge=0, le=1e10)]
    items: Annotated[list[Item], Field(max_length=200)] = []


class IdentityIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: Annotated[str, Field(min_length=1, max_length=200)]
    name: Annotated[str, Field(max_length=200)] | None = None
    hash: Annotated[str, Field(max_length=200)] | None = None


def cart_dict(cart: CartIn) -> dict[str, Any]:
    items = [i.model_dump(exclude_none=True) for i in cart.items]
    computed = sum(i.price * i.quantity for i in cart.items)
    total = cart.total if cart.total is not None else computed
    return {"items": items, "total": round(total, 2), "count": sum(i.quantity for i in cart.items)}


def identity_hash(secret: str, external_id: str) -> str:
    return hmac.new(secret.encode(), external_id.encode(), hashlib.sha256).hexdigest()


async def identify_customer(
    deps: Deps, visitor_id: int, data: IdentityIn, shop_secret: str
) -> tuple[int, dict[str, Any]]:
    """Names the visitor. Returns the visitor id to use from now on: with a valid signature, a
    customer already known under that id is the same person, on this device too."""
    verified = False
    if shop_secret:
        expected = identity_hash(shop_secret, data.id)
        if not data.hash or not hmac.compare_digest(expected, data.hash.lower()):
            raise ConsultError("bad_identity", "the identity signature does not match", 403)
        verified = True
    async with deps.write() as session:
        owner = await session.scalar(select(Visitor).where(Visitor.external_id == data.id))
        me = await session.get(Visitor, visitor_id)
        assert me is not None
        if owner is not None and owner.id != visitor_id:
            if not verified:
                # Unsigned: a name for this visitor only, never another customer's history.
                if data.name:
                    me.name = data.name.strip() or me.name
                return visitor_id, {"id": me.id, "name": me.name}
            me = owner
            # Carry on as them, on the page this visitor is on.
            await carry_page(session, visitor_id, owner.id, deps.limits)
        elif owner is None:
            me.external_id = data.id
        me.verified = me.verified or verified
        if data.name and data.name.strip():
            me.name = data.name.strip()
        me.last_seen_at = utcnow()
        answer = me.id, {"id": me.id, "name": me.name}
        # Only a signed identity speaks for the shop's customer: an unsigned one could name
        # anybody and send them messages.
        external_id = me.external_id if verified else None
    if external_id:
        await shop_feed.send(
            deps.shop_feed, [shop_feed.identified_event(external_id, answer[0], data.name)]
        )
    return answer


async def set_cart(deps: Deps, visitor_id: int, cart: CartIn) -> dict[str, Any]:
    data = cart_dict(cart)
    async with deps.write() as session:
        visit = await current_visit(session, visitor_id, deps.limits)
        assert visit is not None
        visit.cart = data
        visit.cart_total = data["total"]
        visit.cart_count = data["count"]
        visit.had_cart = visit.had_cart or data["count"] > 0
        visit_id = visit.id
        external_id = await _external_id(session, visitor_id)
    if external_id:
        await shop_feed.send(deps.shop_feed, [shop_feed.cart_event(external_id, visit_id, data)])
    await tell_operator(deps, visitor_id, "cart", {"cart": data})
    return data


async def _external_id(session: Any, visitor_id: int) -> str | None:
    """The shop's id of a visitor identified with the shop's signature: only they feed the
    shop's events (an unsigned identity could name anybody)."""
    return await session.scalar(
        select(Visitor.external_id).where(Visitor.id == visitor_id, Visitor.verified)
    )


async def purchase(deps: Deps, visitor_id: int, order: PurchaseIn) -> dict[str, Any]:
    """Records an order once (a repeated order id is the same order) and suggests related goods
    for the categories bought."""
    items = [i.model_dump(exclude_none=True) for i in order.items]
    try:
        async with deps.write() as session:
            visit = await current_visit(session, visitor_id, deps.limits)
            assert visit is not None
            session.add(
                Purchase(
                    visitor_id=visitor_id,
                    visit_id=visit.id,
                    order_id=order.order_id,
                    total=order.total,
                    items=items,
                    created_at=utcnow(),
                )
            )
            visit.cart, visit.cart_total, visit.cart_count = None, 0.0, 0
            await session.flush()
    except IntegrityError:
        pass  # the same order reported again (a reload of the thank-you page)
    async with deps.sessions() as session:
        external_id = await _external_id(session, visitor_id)
    if external_id:
        event = shop_feed.purchase_event(external_id, order.order_id, order.total, items)
        await shop_feed.send(deps.shop_feed, [event])
    await tell_operator(
        deps, visitor_id, "purchase", {"order_id": order.order_id, "total": order.total}
    )
    categories = {i.category for i in order.items if i.category}
    bought = {i.name for i in order.items}
    related: list[dict[str, Any]] = []
    if categories:
        async with deps.sessions() as session:
            rows = await session.scalars(
                select(RelatedProduct)
                .where(RelatedProduct.category.in_(categories))
                .order_by(RelatedProduct.id)
            )
            related = [
                {"title": r.title, "url": r.url, "price": r.price}
                for r in rows
                if r.title not in bought
            ][:RELATED_SHOWN]
    return {"order_id": order.order_id, "total": order.total, "related": related}


async def activity(
    deps: Deps, visitor_id: int, idle_seconds: int, hidden: bool, exit_intent: bool
) -> dict[str, Any]:
    async with deps.write() as session:
        visit = await current_visit(session, visitor_id, deps.limits)
        assert visit is not None
        visit.idle_seconds, visit.hidden = idle_seconds, hidden
        if exit_intent:
            visit.exit_intent_at = utcnow()
        state = {
            "idle_seconds": idle_seconds,
            "hidden": hidden,
            "exit_intent_at": visit.exit_intent_at.isoformat() if visit.exit_intent_at else None,
        }
    await tell_operator(deps, visitor_id, "activity", state)
    return state


def related_dict(r: RelatedProduct) -> dict[str, Any]:
    return {"id": r.id, "category": r.category, "title": r.title, "url": r.url, "price": r.price}


async def add_related(
    deps: Deps, actor: str, category: str, title: str, url: str, price: float | None
) -> dict[str, Any]:
    """An admin's related product (suggested after a purchase in its category), audited."""
    async with deps.write() as session:
        row = RelatedProduct(
            category=category.strip()[:100], title=title.strip()[:300], url=url, price=price
        )
        session.add(row)
        await session.flush()
        audit.record(session, actor, "related.create", f"related:{row.id}", row.title)
        return related_dict(row)


async def delete_related(deps: Deps, actor: str, related_id: int) -> None:
    async with deps.write() as session:
        row = await session.get(RelatedProduct, related_id)
        if row is None:
            raise not_found("related product")
        await session.delete(row)
        audit.record(session, actor, "related.delete", f"related:{row.id}", row.title)
