"""Visitors, their visits and page views, and the context an operator sees beside a chat.

The actions here (`arrive`, `page`) commit, then tell the operator of the visitor's open chat
(`tell_operator`, which the shopping actions use too).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.consult.kernel import serialize
from prilavok.consult.kernel.deps import Deps, Limits
from prilavok.consult.kernel.notifier import OPERATOR_NS, operator_room
from prilavok.storage.models import (
    Conversation,
    Message,
    Operator,
    PageView,
    Purchase,
    Visit,
    Visitor,
    utcnow,
)

EARLIER_CONVERSATIONS = 5
EARLIER_MESSAGES = 50
PAGES_SHOWN = 50


async def open_conversation(session: AsyncSession, visitor_id: int) -> Conversation | None:
    """The visitor's conversation that is not closed (the newest, should there be two)."""
    return await session.scalar(
        select(Conversation)
        .where(Conversation.visitor_id == visitor_id, Conversation.status != "closed")
        .order_by(Conversation.id.desc())
        .limit(1)
    )


async def visitor_for_token(
    session: AsyncSession, visitor_id: int | None, locale: str | None
) -> Visitor:
    """The visitor a token named, or a new one when the token named nobody."""
    visitor = await session.get(Visitor, visitor_id) if visitor_id else None
    if visitor is None:
        visitor = Visitor(locale=locale)
        session.add(visitor)
        await session.flush()
    else:
        visitor.last_seen_at = utcnow()
        if locale:
            visitor.locale = locale
    return visitor


async def current_visit(
    session: AsyncSession, visitor_id: int, limits: Limits, *, start: bool = True
) -> Visit | None:
    """The visit still going on, or (with `start`) a new one after a long enough silence."""
    visit = await session.scalar(
        select(Visit)
        .where(Visit.visitor_id == visitor_id)
        .order_by(Visit.started_at.desc(), Visit.id.desc())
        .limit(1)
    )
    if _going_on(visit, limits):
        return visit
    if not start:
        return None
    return (await _start_visits(session, [visitor_id]))[visitor_id]


async def current_visits(
    session: AsyncSession, visitor_ids: list[int], limits: Limits
) -> dict[int, Visit]:
    """`current_visit` (with `start`) for many visitors at once, in one query."""
    latest: dict[int, Visit] = {}
    for visit in await session.scalars(
        select(Visit)
        .where(Visit.visitor_id.in_(visitor_ids))
        .order_by(Visit.visitor_id, Visit.started_at.desc(), Visit.id.desc())
    ):
        latest.setdefault(visit.visitor_id, visit)
    going = {vid: v for vid, v in latest.items() if _going_on(v, limits)}
    new = [vid for vid in dict.fromkeys(visitor_ids) if vid not in going]
    return going | (await _start_visits(session, new) if new else {})


def _going_on(visit: Visit | None, limits: Limits) -> bool:
    gap = timedelta(seconds=limits.visit_gap_seconds)
    return visit is not None and utcnow() - visit.last_seen_at <= gap


async def _start_visits(session: AsyncSession, visitor_ids: list[int]) -> dict[int, Visit]:
    now = utcnow()
    started = {
        vid: Visit(visitor_id=vid, started_at=now, last_seen_at=now, page_count=0)
        for vid in visitor_ids
    }
    session.add_all(started.values())
    await session.flush()
    return started


async def record_page(
    session: AsyncSession,
    visitor_id: int,
    url: str,
    title: str,
    limits: Limits,
    user_agent: str | None = None,
) -> tuple[Visit, PageView | None]:
    """Counts a page view, unless it is the same page reported again (a reconnect)."""
    visit = await current_visit(session, visitor_id, limits)
    assert visit is not None
    visit.last_seen_at = utcnow()
    if user_agent and not visit.user_agent:
        visit.user_agent = user_agent[:500]
    if visit.current_url == url and visit.page_count:
        return visit, None
    view = PageView(visit_id=visit.id, url=url, title=title or None, viewed_at=utcnow())
    session.add(view)
    visit.page_count += 1
    visit.current_url = url
    visit.current_title = title or None
    await session.flush()
    return visit, view


def page_dict(view: PageView) -> dict[str, Any]:
    return {"url": view.url, "title": view.title, "viewed_at": serialize.iso(view.viewed_at)}


async def arrive(
    deps: Deps,
    claimed: int | None,
    locale: str | None,
    url: str,
    title: str,
    user_agent: str | None = None,
) -> int:
    """A widget connects: the visitor its token named (or a new one), and the page it is on."""
    async with deps.write() as session:
        visitor = await visitor_for_token(session, claimed, locale)
        _, view = await record_page(session, visitor.id, url, title, deps.limits, user_agent)
        visitor_id = visitor.id
    if view is not None:
        await tell_operator(deps, visitor_id, "page", page_dict(view))
    return visitor_id


async def page(deps: Deps, visitor_id: int, url: str, title: str) -> None:
    """The visitor went to another page (a single-page shop tells the widget)."""
    async with deps.write() as session:
        _, view = await record_page(session, visitor_id, url, title, deps.limits)
    if view is not None:
        await tell_operator(deps, visitor_id, "page", page_dict(view))


async def carry_page(session: AsyncSession, from_id: int, to_id: int, limits: Limits) -> None:
    """The page a visitor is on, now under the customer they turned out to be."""
    visit = await current_visit(session, from_id, limits)
    if visit is not None and visit.current_url:
        await record_page(session, to_id, visit.current_url, visit.current_title or "", limits)


async def tell_operator(deps: Deps, visitor_id: int, event: str, data: dict[str, Any]) -> None:
    """Live context (after a commit) for the operator of the visitor's open chat, if any."""
    async with deps.sessions() as session:
        conv = await open_conversation(session, visitor_id)
    if conv is not None and conv.operator_id:
        await deps.notifier.emit(
            event,
            {"conversation_id": conv.id, "visitor_id": visitor_id, **data},
            room=operator_room(conv.operator_id),
            namespace=OPERATOR_NS,
        )


async def context(
    session: AsyncSession, visitor_id: int, limits: Limits, exclude_conversation: int | None
) -> dict[str, Any]:
    visitor = await session.get(Visitor, visitor_id)
    if visitor is None:
        return {}
    visit = await current_visit(session, visitor_id, limits, start=False)
    pages: list[dict[str, Any]] = []
    if visit is not None:
        views = await session.scalars(
            select(PageView)
            .where(PageView.visit_id == visit.id)
            .order_by(PageView.id.desc())
            .limit(PAGES_SHOWN)
        )
        pages = [page_dict(v) for v in reversed(list(views))]
    visits_count = await session.scalar(
        select(func.count()).select_from(Visit).where(Visit.visitor_id == visitor_id)
    )
    earlier_q = (
        select(Conversation, Operator.display_name)
        .outerjoin(Operator, Operator.id == Conversation.operator_id)
        .where(Conversation.visitor_id == visitor_id)
        .order_by(Conversation.id.desc())
        .limit(EARLIER_CONVERSATIONS)
    )
    if exclude_conversation is not None:
        earlier_q = earlier_q.where(Conversation.id != exclude_conversation)
    earlier = []
    for conv, op_name in (await session.execute(earlier_q)).all():
        earlier.append(
            {
                "id": conv.id,
                "status": conv.status,
                "created_at": serialize.iso(conv.created_at),
                "closed_at": serialize.iso(conv.closed_at),
                "operator_name": op_name,
                "messages": await history(session, conv.id, limit=EARLIER_MESSAGES),
            }
        )
    purchases = await session.scalars(
        select(Purchase)
        .where(Purchase.visitor_id == visitor_id)
        .order_by(Purchase.id.desc())
        .limit(EARLIER_CONVERSATIONS)
    )
    now = utcnow()
    return {
        "visitor": {
            "id": visitor.id,
            "name": visitor.name,
            "locale": visitor.locale,
            "external_id": visitor.external_id,
            "verified": visitor.verified,
        },
        "cart": visit.cart if visit else None,
        "purchases": [
            {"order_id": p.order_id, "total": p.total, "created_at": serialize.iso(p.created_at)}
            for p in purchases
        ],
        "idle_seconds": visit.idle_seconds if visit else None,
        "hidden": visit.hidden if visit else False,
        "exit_intent_at": serialize.iso(visit.exit_intent_at) if visit else None,
        "current_url": visit.current_url if visit else None,
        "current_title": visit.current_title if visit else None,
        "visit_started_at": serialize.iso(visit.started_at) if visit else None,
        "time_on_site_seconds": int((now - visit.started_at).total_seconds()) if visit else 0,
        "pages": pages,
        "visits_count": visits_count or 0,
        "earlier": earlier,
    }


async def history(
    session: AsyncSession, conversation_id: int, *, limit: int | None = None
) -> list[dict[str, Any]]:
    """A conversation's messages, oldest first (the newest `limit` of them when given)."""
    q = (
        select(Message, Operator.display_name)
        .outerjoin(Operator, Operator.id == Message.operator_id)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.id.desc())
    )
    if limit:
        q = q.limit(limit)
    rows = (await session.execute(q)).all()
    return [serialize.message(m, name) for m, name in reversed(rows)]


async def summary(session: AsyncSession, visitor_id: int, limits: Limits) -> dict[str, Any]:
    """Who the widget talks to and how far into the visit: what proactive rules need."""
    visitor = await session.get(Visitor, visitor_id)
    assert visitor is not None
    visit = await current_visit(session, visitor_id, limits, start=False)
    visits_count = await session.scalar(
        select(func.count()).select_from(Visit).where(Visit.visitor_id == visitor_id)
    )
    elapsed = int((utcnow() - visit.started_at).total_seconds()) if visit else 0
    return {
        "visitor": {
            "id": visitor.id,
            "name": visitor.name,
            "returning": (visits_count or 0) > 1,
            "visits_count": visits_count or 0,
        },
        "visit": {
            "id": visit.id if visit else None,
            "elapsed_seconds": max(elapsed, 0),
            "page_count": visit.page_count if visit else 0,
        },
        "cart": visit.cart if visit and visit.cart and visit.cart.get("count") else None,
    }
