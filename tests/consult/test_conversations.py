"""Messages: stored before the ack, deduplicated, validated, marked delivered and read."""

import asyncio

import pytest
from sqlalchemy import func, select

from prilavok.consult.chat import conversations, queue_feed, visitor_messages
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.errors import ConsultError
from prilavok.consult.kernel.notifier import operator_room, visitor_room
from prilavok.consult.team import operators
from prilavok.consult.visitors.visits import context, record_page, visitor_for_token
from prilavok.storage.models import Message
from tests.clients import add_operator, cid


async def count(deps: Deps) -> int:
    async with deps.sessions() as s:
        return await s.scalar(select(func.count()).select_from(Message))


async def visitor(deps: Deps) -> int:
    async with deps.sessions.begin() as s:
        v = await visitor_for_token(s, None, "en")
        await record_page(s, v.id, "http://shop.test/", "Home", deps.limits)
        return v.id


async def test_same_client_id_is_stored_once_even_concurrently(deps: Deps) -> None:
    vid = await visitor(deps)
    key = cid()
    acks = await asyncio.gather(
        *[visitor_messages.post_visitor_message(deps, vid, key, "hello") for _ in range(5)]
    )
    assert len({a["message"]["id"] for a in acks}) == 1
    assert await count(deps) == 1
    # A later resend after a reconnect returns the stored message too.
    again = await visitor_messages.post_visitor_message(deps, vid, key, "hello")
    assert again["message"]["id"] == acks[0]["message"]["id"]
    assert await count(deps) == 1


@pytest.mark.parametrize(
    ("text", "code"), [("", "empty"), ("   \n ", "empty"), ("x" * 4001, "too_long")]
)
async def test_bad_texts_are_refused_and_store_nothing(deps: Deps, text: str, code: str) -> None:
    vid = await visitor(deps)
    with pytest.raises(ConsultError) as exc:
        await visitor_messages.post_visitor_message(deps, vid, cid(), text)
    assert exc.value.code == code
    assert await count(deps) == 0
    assert await conversations.visitor_state(deps, vid) == {"conversation": None, "messages": []}


async def test_receipts_flow_both_ways(deps: Deps) -> None:
    anna = await add_operator(deps, "anna", name="Анна")
    await operators.connected(deps, anna.id, "s1")
    vid = await visitor(deps)
    ack = await visitor_messages.post_visitor_message(deps, vid, cid(), "hi")
    conv_id, mid = ack["conversation"]["id"], ack["message"]["id"]
    conv = await conversations.operator_conversation(deps, anna, conv_id)
    await conversations.stamp_receipts(deps, conv, ("visitor",), "delivered_at", mid)
    receipt = deps.notifier.events("receipt", visitor_room(vid))[-1]
    assert (receipt["field"], receipt["up_to"]) == ("delivered", mid)
    await conversations.stamp_receipts(deps, conv, ("visitor",), "read_at", mid)
    state = await conversations.visitor_state(deps, vid)
    assert state["messages"][0]["read_at"] is not None

    reply = await conversations.post_operator_message(deps, anna, conv_id, cid(), "Hello!")
    assert reply["author_name"] == "Анна"
    await conversations.stamp_receipts(deps, conv, ("operator", "system"), "read_at", reply["id"])
    got = deps.notifier.events("receipt", operator_room(anna.id))[-1]
    assert (got["field"], got["up_to"]) == ("read", reply["id"])
    # Marking again changes nothing and announces nothing. The coalesced queue push of the chat's
    # assignment goes out first (else it may land 0.2 s later, inside the count below).
    await queue_feed.flush(deps)
    before = len(deps.notifier.sent)
    await conversations.stamp_receipts(deps, conv, ("operator", "system"), "read_at", reply["id"])
    assert len(deps.notifier.sent) == before


async def test_context_counts_pages_and_visits_and_shows_earlier_chats(deps: Deps) -> None:
    anna = await add_operator(deps, "anna")
    await operators.connected(deps, anna.id, "s1")
    vid = await visitor(deps)
    first = await visitor_messages.post_visitor_message(deps, vid, cid(), "first chat")
    await conversations.close(deps, anna, first["conversation"]["id"])
    async with deps.sessions.begin() as s:
        await record_page(s, vid, "http://shop.test/cart", "Cart", deps.limits)
        await record_page(s, vid, "http://shop.test/cart", "Cart", deps.limits)  # reconnect
    second = await visitor_messages.post_visitor_message(deps, vid, cid(), "second chat")
    async with deps.sessions() as s:
        ctx = await context(s, vid, deps.limits, second["conversation"]["id"])
    assert ctx["current_url"] == "http://shop.test/cart"
    assert [p["title"] for p in ctx["pages"]] == ["Home", "Cart"]
    assert ctx["visits_count"] == 1
    assert [e["messages"][0]["text"] for e in ctx["earlier"]] == ["first chat"]


async def test_many_visitors_writing_at_once_all_get_stored(deps: Deps) -> None:
    """SQLite has one writer: concurrent writes must queue, not fail with 'database is locked'."""
    anna = await add_operator(deps, "anna", capacity=50)
    await operators.connected(deps, anna.id, "s1")
    ids = [await visitor(deps) for _ in range(30)]
    acks = await asyncio.gather(
        *[
            visitor_messages.post_visitor_message(deps, vid, cid(), f"msg {n}")
            for n in range(3)
            for vid in ids
        ]
    )
    assert len({a["message"]["id"] for a in acks}) == 90
    assert await count(deps) == 90
    assert {a["conversation"]["status"] for a in acks} == {"active"}
