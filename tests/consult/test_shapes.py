"""One shape per concept: every path that sends a conversation, a chat or a place agrees."""

from prilavok.consult.chat import broadcast, chats, conversations, queue_feed, visitor_messages
from prilavok.consult.chat.waiting import seen_by_visitor
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.notifier import visitor_room
from prilavok.consult.team import operators
from tests.clients import cid
from tests.consult.test_routing import chat, new_visitor, online

# The conversation as the visitor sees it (docs/protocol.md).
VISITOR_KEYS = {"id", "status", "operator_name", "queue_position", "rated"}


async def test_every_producer_of_the_visitors_conversation_gives_the_same_keys(
    deps: Deps,
) -> None:
    deps.limits.queue_debounce_seconds = 600  # the test flushes the queue feed itself
    produced: dict[str, dict] = {}
    anna = await online(deps, "anna")
    await operators.set_status(deps, anna.id, "away")
    # Nobody to answer: three chats wait.
    waiting = [await chat(deps) for _ in range(3)]
    produced["careful path ack (a new chat)"] = waiting[0][1]["conversation"]
    first_vid = waiting[0][0]
    again = await visitor_messages.post_visitor_message(deps, first_vid, cid(), "ещё")
    produced["grouped path ack"] = again["conversation"]
    produced["session (visitor_state)"] = (await conversations.visitor_state(deps, first_vid))[
        "conversation"
    ]
    # An operator takes the first: the visitor is told, the ones behind move up.
    await conversations.take(deps, anna, waiting[0][1]["conversation"]["id"])
    await queue_feed.flush(deps)
    produced["push after an assignment"] = deps.notifier.events(
        "conversation", visitor_room(first_vid)
    )[-1]
    produced["push of a place that moved"] = deps.notifier.events(
        "conversation", visitor_room(waiting[2][0])
    )[-1]
    await conversations.close(deps, anna, waiting[0][1]["conversation"]["id"])
    produced["push after a close"] = deps.notifier.events("conversation", visitor_room(first_vid))[
        -1
    ]
    for where, data in produced.items():
        assert set(data) == VISITOR_KEYS, where

    # The same state read by either builder is the same dict.
    assert produced["careful path ack (a new chat)"] == {
        "id": waiting[0][1]["conversation"]["id"],
        "status": "queued",
        "operator_name": None,
        "queue_position": 1,
        "rated": False,
    }
    assert produced["grouped path ack"] == produced["careful path ack (a new chat)"]
    assert produced["session (visitor_state)"] == produced["grouped path ack"]
    assert produced["push after an assignment"]["operator_name"] == "anna"
    assert produced["push of a place that moved"]["queue_position"] == 2
    assert produced["push after a close"]["status"] == "closed"

    # Rated shows in what is read afterwards, whoever reads it.
    conv_id = produced["push after a close"]["id"]
    await conversations.rate(deps, first_vid, conv_id, 5, None)
    assert (await broadcast.visitor_conversation(deps, conv_id) or {})["rated"] is True
    async with deps.sessions() as session:
        found = await seen_by_visitor(session, conv_id)
    assert found is not None and found[1]["rated"] is True


async def test_a_place_is_the_same_for_the_visitor_the_console_and_the_queue(deps: Deps) -> None:
    vids = [await new_visitor(deps) for _ in range(4)]
    acks = [await visitor_messages.post_visitor_message(deps, v, cid(), "алло") for v in vids]
    conv_ids = [a["conversation"]["id"] for a in acks]
    # The grouped path computes the place on its own connection: it must agree.
    grouped = [await visitor_messages.post_visitor_message(deps, v, cid(), "ну?") for v in vids]
    async with deps.sessions() as session:
        summaries = await chats.summaries(session, conv_ids)
    expected = [1, 2, 3, 4]
    assert [a["conversation"]["queue_position"] for a in acks] == expected
    assert [a["conversation"]["queue_position"] for a in grouped] == expected
    assert [c["queue_position"] for c in summaries] == expected
    for v, place in zip(vids, expected, strict=True):
        state = await conversations.visitor_state(deps, v)
        assert state["conversation"]["queue_position"] == place
