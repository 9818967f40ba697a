"""Assignment, the queue, taking, transferring and closing, on both databases."""

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from prilavok.consult.chat import conversations, opening, queue_feed, visitor_messages
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.errors import ConsultError
from prilavok.consult.kernel.notifier import operator_room, visitor_room
from prilavok.consult.team import operators
from prilavok.consult.visitors.visits import record_page, visitor_for_token
from prilavok.storage.db import sessionmaker
from prilavok.storage.models import Conversation, Message, Operator
from tests.clients import add_operator, cid


async def new_visitor(deps: Deps) -> int:
    async with deps.sessions.begin() as s:
        v = await visitor_for_token(s, None, "ru")
        await record_page(s, v.id, "http://shop.test/cart", "Корзина", deps.limits)
        return v.id


async def chat(deps: Deps, text: str = "Здравствуйте") -> tuple[int, dict]:
    vid = await new_visitor(deps)
    ack = await visitor_messages.post_visitor_message(deps, vid, cid(), text)
    return vid, ack


async def online(deps: Deps, login: str, capacity: int = 4) -> Operator:
    op = await add_operator(deps, login, capacity=capacity)
    await operators.connected(deps, op.id, f"sid-{login}")
    return op


async def test_new_chat_goes_to_the_operator_with_most_free_places(deps: Deps) -> None:
    anna = await online(deps, "anna", capacity=2)
    boris = await online(deps, "boris", capacity=4)
    owners = []
    for _ in range(4):
        _, ack = await chat(deps)
        async with deps.sessions() as s:
            owners.append((await s.get(Conversation, ack["conversation"]["id"])).operator_id)
    # free places (anna/boris): 2/4 → boris, 2/3 → boris, 2/2 tie → the less loaded anna,
    # 1/2 → boris.
    assert owners == [boris.id, boris.id, anna.id, boris.id]
    assert deps.notifier.events("chat", operator_room(boris.id))


async def test_away_and_disconnected_operators_get_nothing(deps: Deps) -> None:
    anna = await online(deps, "anna")
    await operators.set_status(deps, anna.id, "away")
    _, ack = await chat(deps)
    assert ack["conversation"]["status"] == "queued"
    boris = await add_operator(deps, "boris")  # never connected
    _, ack2 = await chat(deps)
    assert ack2["conversation"]["queue_position"] == 2
    # Coming back online drains the queue in order.
    await operators.set_status(deps, anna.id, "online")
    async with deps.sessions() as s:
        first = await s.get(Conversation, ack["conversation"]["id"])
        second = await s.get(Conversation, ack2["conversation"]["id"])
    assert (first.status, first.operator_id) == ("active", anna.id)
    assert (second.status, second.operator_id) == ("active", anna.id)
    assert boris.id not in (first.operator_id, second.operator_id)


async def test_a_full_operator_queues_the_fifth_chat_and_closing_moves_the_queue(
    deps: Deps,
) -> None:
    anna = await online(deps, "anna", capacity=4)
    acks = [(await chat(deps))[1] for _ in range(4)]
    assert all(a["conversation"]["status"] == "active" for a in acks)
    v5, fifth = await chat(deps)
    v6, sixth = await chat(deps)
    assert fifth["conversation"]["status"] == "queued"
    assert fifth["conversation"]["queue_position"] == 1
    assert sixth["conversation"]["queue_position"] == 2
    await queue_feed.flush(deps)
    # Each learnt their place from the ack; a chat joining behind moves nobody.
    assert deps.notifier.events("conversation", visitor_room(v5)) == []
    assert deps.notifier.events("conversation", visitor_room(v6)) == []

    await conversations.close(deps, anna, acks[0]["conversation"]["id"])
    async with deps.sessions() as s:
        moved = await s.get(Conversation, fifth["conversation"]["id"])
        waiting = await s.get(Conversation, sixth["conversation"]["id"])
    assert (moved.status, moved.operator_id) == ("active", anna.id)
    assert waiting.status == "queued"
    await queue_feed.flush(deps)
    # The sixth visitor was told they are now first.
    assert deps.notifier.events("conversation", visitor_room(v6))[-1]["queue_position"] == 1
    assert deps.notifier.events("conversation", visitor_room(v5))[-1]["status"] == "active"


async def test_take_transfer_and_close_rules(deps: Deps) -> None:
    anna = await online(deps, "anna", capacity=1)
    boris = await add_operator(deps, "boris", capacity=1)
    _, first = await chat(deps)
    _, queued = await chat(deps)
    conv_id = queued["conversation"]["id"]
    assert queued["conversation"]["status"] == "queued"

    # An operator not online cannot receive a transfer.
    with pytest.raises(ConsultError) as exc:
        await conversations.transfer(deps, anna, first["conversation"]["id"], boris.id)
    assert exc.value.code == "unknown_operator"
    await operators.connected(deps, boris.id, "sid-boris")  # boris drains the queue himself
    async with deps.sessions() as s:
        assert (await s.get(Conversation, conv_id)).operator_id == boris.id

    # Taking a chat that already left the queue is refused.
    with pytest.raises(ConsultError) as exc:
        await conversations.take(deps, anna, conv_id)
    assert exc.value.code == "not_queued"
    # Someone else's chat cannot be closed or transferred.
    with pytest.raises(ConsultError) as exc:
        await conversations.close(deps, anna, conv_id)
    assert exc.value.code == "forbidden"

    await conversations.transfer(deps, boris, conv_id, anna.id)
    async with deps.sessions() as s:
        assert (await s.get(Conversation, conv_id)).operator_id == anna.id
    removed = deps.notifier.events("chat_removed", operator_room(boris.id))
    assert removed[-1] == {"conversation_id": conv_id, "reason": "transferred"}

    await conversations.close(deps, anna, conv_id)
    with pytest.raises(ConsultError) as exc:
        await conversations.close(deps, anna, conv_id)
    assert exc.value.code == "conversation_closed"
    with pytest.raises(ConsultError) as exc:
        await conversations.post_operator_message(deps, anna, conv_id, cid(), "late")
    assert exc.value.code == "conversation_closed"


async def test_take_from_the_queue_even_when_full(deps: Deps) -> None:
    anna = await online(deps, "anna", capacity=1)
    await chat(deps)
    _, queued = await chat(deps)
    await conversations.take(deps, anna, queued["conversation"]["id"])
    async with deps.sessions() as s:
        conv = await s.get(Conversation, queued["conversation"]["id"])
    assert (conv.status, conv.operator_id) == ("active", anna.id)
    await queue_feed.flush(deps)
    assert deps.notifier.events("queue")[-1] == []
    removed = deps.notifier.events("queue.delta")[-1]["removed"]
    assert removed == [{"conversation_id": conv.id, "reason": "taken"}]


async def test_presence_of_a_dead_process_does_not_count(deps: Deps) -> None:
    from datetime import timedelta

    from prilavok.storage.models import Node, utcnow

    anna = await online(deps, "anna")
    async with deps.sessions.begin() as s:
        node = await s.get(Node, deps.node_id)
        node.seen_at = utcnow() - timedelta(seconds=deps.limits.presence_ttl_seconds + 5)
    _, ack = await chat(deps)
    assert ack["conversation"]["status"] == "queued"
    await operators.beat(deps)  # the process is alive again
    await conversations.drain_queue(deps)
    async with deps.sessions() as s:
        assert (await s.get(Conversation, ack["conversation"]["id"])).operator_id == anna.id


# Timed (a pooled connection within pool_timeout, 0.5 s): alone, where only the burst loads the
# cores.
@pytest.mark.serial
async def test_a_burst_of_new_chats_does_not_starve_the_connection_pool(deps: Deps) -> None:
    """New chats wait for their group's decision without a pooled connection (the group holds
    one), so the queries after it (the acks, the pushes) still find one, even with a pool of
    two. A group's callers all want one at the same moment when it commits: the wait for a
    connection may be longer than one decision, not as long as the burst."""
    await online(deps, "anna", capacity=100)
    engine = deps.sessions.kw["bind"]
    small = create_async_engine(engine.url, pool_size=2, max_overflow=0, pool_timeout=3)
    tight = Deps(sessionmaker(small), deps.notifier, deps.limits, deps.node_id)
    try:
        ids = [await new_visitor(deps) for _ in range(60)]
        acks = await asyncio.gather(
            *[visitor_messages.post_visitor_message(tight, vid, cid(), "hello") for vid in ids]
        )
        assert {a["conversation"]["status"] for a in acks} == {"active"}
        assert len({a["conversation"]["id"] for a in acks}) == 60
    finally:
        tight.close()
        await small.dispose()


async def test_a_crowd_of_new_chats_shares_routing_decisions(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    """First messages that come together are decided in groups (consult.chat.opening), and
    each group fills places as one-by-one routing would: most free places first."""
    anna = await online(deps, "anna", capacity=3)
    boris = await online(deps, "boris", capacity=2)
    groups: list[int] = []
    decide = opening._decide

    async def counted(session, limits, jobs):  # type: ignore[no-untyped-def]
        groups.append(len(jobs))
        return await decide(session, limits, jobs)

    monkeypatch.setattr(opening, "_decide", counted)
    ids = [await new_visitor(deps) for _ in range(12)]
    acks = await asyncio.gather(
        *[visitor_messages.post_visitor_message(deps, vid, cid(), "hi") for vid in ids]
    )
    assert sum(groups) == 12 and len(groups) < 12, groups
    async with deps.sessions() as s:
        convs = {c.visitor_id: c for c in await s.scalars(select(Conversation))}
    assert len(convs) == 12
    owners = [convs[vid].operator_id for vid in ids]
    assert owners.count(anna.id) == 3 and owners.count(boris.id) == 2
    assert [c.status for c in convs.values()].count("queued") == 7
    # Each ack tells its visitor what was decided for them.
    for vid, ack in zip(ids, acks, strict=True):
        assert ack["conversation"]["id"] == convs[vid].id
        assert ack["conversation"]["status"] == convs[vid].status
        assert ack["message"]["conversation_id"] == convs[vid].id


async def test_one_client_id_twice_in_a_crowd_is_stored_once(deps: Deps) -> None:
    await online(deps, "anna")
    vid = await new_visitor(deps)
    same = cid()
    first, again = await asyncio.gather(
        visitor_messages.post_visitor_message(deps, vid, same, "hi"),
        visitor_messages.post_visitor_message(deps, vid, same, "hi"),
    )
    assert first["message"]["id"] == again["message"]["id"]
    async with deps.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Message)) == 1
        assert await s.scalar(select(func.count()).select_from(Conversation)) == 1
