"""Three honest states — online, busy, offline — computed in one place and pushed on change."""

from datetime import UTC, datetime, timedelta

from prilavok.consult.chat import availability, hours, queue_feed, visitor_messages
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.notifier import VISITORS_ROOM, operator_room
from prilavok.consult.team import operators
from prilavok.storage.models import Conversation, utcnow
from tests.clients import add_operator, cid
from tests.consult.test_routing import chat, new_visitor


async def state(deps: Deps, now: datetime | None = None) -> dict:
    async with deps.sessions() as session:
        return await availability.compute(session, deps.limits, now)


async def history(deps: Deps, operator_id: int, reply: int, length: int, n: int = 3) -> None:
    """Closed chats in which the first reply took `reply` s and the chat `length` s."""
    now = utcnow()
    async with deps.sessions.begin() as s:
        for _ in range(n):
            vid = await new_visitor(deps)
            at = now - timedelta(hours=1)
            s.add(
                Conversation(
                    visitor_id=vid,
                    operator_id=operator_id,
                    status="closed",
                    created_at=at,
                    assigned_at=at,
                    first_response_at=at + timedelta(seconds=reply),
                    closed_at=at + timedelta(seconds=length),
                )
            )


async def test_nobody_online_is_offline_and_a_message_waits_marked_for_the_first_operator(
    deps: Deps,
) -> None:
    anna = await add_operator(deps, "anna", capacity=2)  # status online, but no console
    assert (await state(deps))["state"] == "offline"
    assert (await state(deps))["reason"] == "nobody"
    _, ack = await chat(deps, "Есть кто-нибудь?")
    assert ack["conversation"]["status"] == "queued"
    await queue_feed.flush(deps)
    pushed = deps.notifier.events("availability", VISITORS_ROOM)
    assert pushed[-1]["state"] == "offline"

    # Anna opens her console: the message reaches her, marked as left while nobody was there,
    # and every widget hears someone is there now.
    await operators.connected(deps, anna.id, "sid-anna")
    got = deps.notifier.events("chat", operator_room(anna.id))
    assert [(c["id"], c["left_offline"]) for c in got] == [(ack["conversation"]["id"], True)]
    await queue_feed.flush(deps)
    assert deps.notifier.events("availability", VISITORS_ROOM)[-1]["state"] == "online"
    # A chat started while someone is there is not marked.
    _, second = await chat(deps)
    async with deps.sessions() as s:
        assert not (await s.get(Conversation, second["conversation"]["id"])).left_offline


async def test_online_busy_and_offline_carry_their_figures(deps: Deps) -> None:
    anna = await add_operator(deps, "anna", capacity=2)
    await operators.connected(deps, anna.id, "sid-anna")
    assert await state(deps) == {
        "state": "online",
        "reason": None,
        "reply_seconds": None,  # no history: no promise
        "seconds_per_place": None,
        "wait_seconds": None,
        "next_open_at": None,
    }
    await history(deps, anna.id, reply=25, length=600)
    assert (await state(deps))["reply_seconds"] == 30  # rounded up to 10 s

    await chat(deps)
    await chat(deps)
    busy = await state(deps)
    assert busy["state"] == "busy"
    # A place clears in 600 s / 2 places; a new chat is behind nobody: 300 s.
    assert (busy["seconds_per_place"], busy["wait_seconds"]) == (300, 300)
    await chat(deps)
    await chat(deps)
    # Two waiting: a new chat would be third in line.
    assert (await state(deps))["wait_seconds"] == 900

    await operators.set_status(deps, anna.id, "away")
    assert (await state(deps))["reason"] == "nobody"


async def test_outside_business_hours_is_offline_until_the_next_opening(deps: Deps) -> None:
    anna = await add_operator(deps, "anna")
    await operators.connected(deps, anna.id, "sid-anna")
    async with deps.write() as s:
        days = {"mon": ["09:00", "18:00"], "tue": ["09:00", "18:00"], "sun": None}
        await hours.save(s, hours.parse({"timezone": "Europe/Moscow", "days": days}))
    monday_evening = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # 19:00 in Moscow
    got = await state(deps, monday_evening)
    assert (got["state"], got["reason"]) == ("offline", "closed")
    assert got["next_open_at"] == "2026-11-24T06:00:00+00:00"  # Tuesday 09:00 in Moscow
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert (await state(deps, saturday))["next_open_at"] == "2026-11-30T06:00:00+00:00"
    assert (await state(deps, datetime(2026, 11, 23, 9, 0, tzinfo=UTC)))["state"] == "online"


async def test_a_state_is_pushed_once_per_change(deps: Deps) -> None:
    anna = await add_operator(deps, "anna", capacity=1)
    await availability.publish(deps)
    await availability.publish(deps)
    assert [p["state"] for p in deps.notifier.events("availability")] == ["offline"]
    await operators.connected(deps, anna.id, "sid-anna")
    await operators.disconnected(deps, "sid-anna")
    await queue_feed.flush(deps)
    # Connected and gone again within one burst: widgets saw nothing change.
    assert [p["state"] for p in deps.notifier.events("availability")] == ["offline"]
    await operators.connected(deps, anna.id, "sid-anna")
    await queue_feed.flush(deps)
    await visitor_messages.post_visitor_message(deps, await new_visitor(deps), cid(), "hi")
    await queue_feed.flush(deps)
    states = [p["state"] for p in deps.notifier.events("availability")]
    assert states == ["offline", "online", "busy"]
    assert (await availability.current(deps))["state"] == "busy"
