"""Queue updates that stay small: deltas to consoles, each visitor only their own new place."""

from prilavok.consult.chat import conversations, queue_feed, visitor_messages
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.notifier import QUEUE_DELTA_ROOM, QUEUE_FULL_ROOM, visitor_room
from prilavok.consult.team import operators
from tests.clients import add_operator, cid
from tests.consult.test_routing import chat


def ids(chats: list[dict]) -> list[int]:
    return [c["id"] for c in chats]


async def test_consoles_get_coalesced_deltas_and_visitors_only_their_moves(deps: Deps) -> None:
    # Pushes leave when the test flushes, not when a loaded machine's timer fires mid-burst.
    deps.limits.queue_debounce_seconds = 600
    anna = await add_operator(deps, "anna", capacity=1)
    await operators.connected(deps, anna.id, "sid-anna")
    await operators.set_status(deps, anna.id, "away")
    waiting = [await chat(deps) for _ in range(4)]
    convs = [ack["conversation"]["id"] for _, ack in waiting]
    assert [ack["conversation"]["queue_position"] for _, ack in waiting] == [1, 2, 3, 4]
    # A burst: one delta with every new chat, each once, in line order.
    await queue_feed.flush(deps)
    deltas = deps.notifier.events("queue.delta", QUEUE_DELTA_ROOM)
    assert len(deltas) == 1
    assert ids(deltas[0]["added"]) == convs and deltas[0]["updated"] == []
    assert [c["queue_position"] for c in deltas[0]["added"]] == [1, 2, 3, 4]
    # Consoles not speaking deltas still get the whole queue, once per burst.
    assert [ids(q) for q in deps.notifier.events("queue", QUEUE_FULL_ROOM)] == [convs]

    # A message in a waiting chat: that chat only, and no visitor hears of places.
    v3 = waiting[2][0]
    await visitor_messages.post_visitor_message(deps, v3, cid(), "Ещё вопрос")
    await queue_feed.flush(deps)
    last = deps.notifier.events("queue.delta")[-1]
    assert last["added"] == [] and ids(last["updated"]) == [convs[2]]
    assert last["updated"][0]["last_message"]["text"] == "Ещё вопрос"
    assert last["updated"][0]["unread"] == 2
    assert all(not deps.notifier.events("conversation", visitor_room(v)) for v, _ in waiting)

    # The second chat leaves: the console hears why; only the visitors behind it move up.
    await conversations.take(deps, anna, convs[1])
    await queue_feed.flush(deps)
    last = deps.notifier.events("queue.delta")[-1]
    assert last["removed"] == [{"conversation_id": convs[1], "reason": "taken"}]
    assert last["added"] == last["updated"] == []
    (v1, _), (v2, _), (v3, _), (v4, _) = waiting
    assert deps.notifier.events("conversation", visitor_room(v1)) == []
    assert deps.notifier.events("conversation", visitor_room(v2))[-1]["status"] == "active"
    for v, place in ((v3, 2), (v4, 3)):
        told = deps.notifier.events("conversation", visitor_room(v))
        assert [(c["status"], c["queue_position"]) for c in told] == [("queued", place)]

    # Nothing changes for the queue when anna, full, comes back online; only the widgets
    # hear that somebody is there now, though busy.
    sent = len(deps.notifier.sent)
    await operators.set_status(deps, anna.id, "online")
    await queue_feed.flush(deps)
    assert [e for e, *_ in deps.notifier.sent[sent:]] == ["team", "availability"]
    assert deps.notifier.events("availability")[-1]["state"] == "busy"
