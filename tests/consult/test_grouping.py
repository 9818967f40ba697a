"""Group commit: messages that arrive together share a transaction, and still each get their
own answer, their own error and their own place in the order they were stored."""

import asyncio
from collections.abc import Callable

import pytest
from sqlalchemy import select

from prilavok.consult.chat import visitor_messages
from prilavok.consult.chat.grouping import Grouper, OverlappingGrouper
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.errors import ConsultError
from prilavok.consult.kernel.notifier import operator_room, visitor_room
from prilavok.consult.team import operators
from prilavok.consult.visitors.visits import record_page, visitor_for_token
from prilavok.storage.models import Conversation, Message
from tests.clients import add_operator, cid


async def visitor(deps: Deps) -> int:
    async with deps.sessions.begin() as s:
        v = await visitor_for_token(s, None, "en")
        await record_page(s, v.id, "http://shop.test/", "Home", deps.limits)
        return v.id


async def chatting(deps: Deps, n: int) -> tuple[int, list[int], int]:
    """Operator anna online and n visitors whose first message opened a chat with her (the
    careful path); returns her id, theirs, and how many pushes were made so far."""
    anna = await add_operator(deps, "anna", capacity=50)
    await operators.connected(deps, anna.id, "s1")
    ids = [await visitor(deps) for _ in range(n)]
    for vid in ids:
        await visitor_messages.post_visitor_message(deps, vid, cid(), "hello")
    return anna.id, ids, len(deps.notifier.sent)  # type: ignore[attr-defined]


async def test_a_group_answers_each_job_in_order_and_isolates_a_failing_one() -> None:
    calls: list[list[int]] = []

    async def store(jobs: list[int]) -> list[int]:
        calls.append(jobs)
        await asyncio.sleep(0)
        if 13 in jobs:
            raise ValueError("unlucky")
        return [j * 10 for j in jobs]

    grouper: Grouper[int, int] = Grouper(store, max_group=4)
    results = await asyncio.gather(
        *[grouper.submit(j) for j in (1, 2, 13, 4, 5, 6)], return_exceptions=True
    )
    assert results[:2] == [10, 20] and results[3:] == [40, 50, 60]
    assert isinstance(results[2], ValueError)
    # Groups of at most four; the failing group was retried one job at a time.
    assert calls[0] == [1, 2, 13, 4]
    assert [1] in calls and [13] in calls and [4] in calls
    assert max(len(c) for c in calls) == 4


async def test_a_caller_that_gives_up_leaves_its_group_going() -> None:
    stored: list[list[int]] = []
    release = asyncio.Event()

    async def store(jobs: list[int]) -> list[int]:
        await release.wait()
        stored.append(jobs)
        return [j * 10 for j in jobs]

    grouper: Grouper[int, int] = Grouper(store, max_group=4)
    quitter = asyncio.ensure_future(grouper.submit(1))
    stayer = asyncio.ensure_future(grouper.submit(2))
    await asyncio.sleep(0.01)  # the group [1, 2] is being stored
    quitter.cancel()
    await asyncio.sleep(0)
    release.set()
    assert await stayer == 20
    assert stored == [[1, 2]]  # the job of the caller who left was stored all the same
    assert quitter.cancelled()
    assert await grouper.submit(3) == 30  # and the grouper goes on


async def test_the_next_group_writes_while_one_commits_and_answers_keep_order() -> None:
    events: list[str] = []
    commits: dict[int, asyncio.Event] = {}

    async def store(jobs: list[int], written: Callable[[], None]) -> list[int]:
        first = jobs[0]
        events.append(f"write {first}")
        await asyncio.sleep(0)
        written()  # only the commit is left
        commits[first] = asyncio.Event()
        await commits[first].wait()
        events.append(f"commit {first}")
        return [j * 10 for j in jobs]

    grouper: OverlappingGrouper[int, int] = OverlappingGrouper(store, max_group=2, in_flight=3)
    answered: list[int] = []

    async def one(j: int) -> None:
        answered.append(await grouper.submit(j))

    callers = [asyncio.ensure_future(one(j)) for j in (1, 2, 3, 4, 5, 6, 7, 8)]
    for _ in range(20):
        await asyncio.sleep(0)
    # Three groups write one after another without waiting for a commit; the fourth waits for
    # a connection (in_flight=3).
    assert events == ["write 1", "write 3", "write 5"]
    commits[5].set()  # the last one commits first ...
    commits[3].set()
    for _ in range(10):
        await asyncio.sleep(0)
    assert answered == []  # ... but nobody hears before the first group has
    commits[1].set()
    for _ in range(20):
        await asyncio.sleep(0)
    assert answered == [10, 20, 30, 40, 50, 60]
    assert events[:6] == ["write 1", "write 3", "write 5", "commit 5", "commit 3", "commit 1"]
    assert events[6] == "write 7"  # a slot came free
    commits[7].set()
    await asyncio.gather(*callers)
    assert answered == [10, 20, 30, 40, 50, 60, 70, 80]


async def test_an_overlapping_group_that_fails_before_writing_is_retried_before_the_next() -> None:
    events: list[str] = []

    async def store(jobs: list[int], written: Callable[[], None]) -> list[int]:
        events.append(f"write {jobs}")
        await asyncio.sleep(0)
        if 13 in jobs:
            raise ValueError("unlucky")
        written()
        return [j * 10 for j in jobs]

    grouper: OverlappingGrouper[int, int] = OverlappingGrouper(store, max_group=3)
    results = await asyncio.gather(
        *[grouper.submit(j) for j in (1, 13, 2, 3)], return_exceptions=True
    )
    assert results[0] == 10 and results[2:] == [20, 30]
    assert isinstance(results[1], ValueError)
    # The failing group's jobs went one by one before the next group started.
    assert events == ["write [1, 13, 2]", "write [1]", "write [13]", "write [2]", "write [3]"]


async def test_messages_in_overlapping_groups_keep_their_order(deps: Deps, monkeypatch) -> None:
    monkeypatch.setattr(visitor_messages, "MAX_GROUP", 3)
    anna, ids, sent_before = await chatting(deps, 4)
    # Ten messages from each visitor at once: fourteen groups of three, several in flight.
    acks = await asyncio.gather(
        *[
            visitor_messages.post_visitor_message(deps, vid, cid(), f"{vid}/{n}")
            for n in range(10)
            for vid in ids
        ]
    )
    async with deps.sessions() as s:
        stored = (await s.execute(select(Message).order_by(Message.id))).scalars().all()
    sent = deps.notifier.sent[sent_before:]  # type: ignore[attr-defined]
    for vid in ids:
        order = [f"{vid}/{n}" for n in range(10)]
        assert [m.text for m in stored if m.sender_key == f"v:{vid}"][1:] == order
        mine = [a["message"] for a in acks if a["message"]["text"].startswith(f"{vid}/")]
        assert [m["text"] for m in mine] == order
        relayed = [
            d["text"]
            for e, d, r, _ in sent
            if e == "message" and r == operator_room(anna) and d["text"].startswith(f"{vid}/")
        ]
        assert relayed == order  # the operator sees them in the order they were sent


async def test_messages_arriving_together_are_stored_once_each_and_relayed(deps: Deps) -> None:
    anna, ids, sent_before = await chatting(deps, 20)
    keys = {vid: [cid() for _ in range(3)] for vid in ids}
    jobs = [
        visitor_messages.post_visitor_message(deps, vid, key, f"{vid}/{n}")
        for n in range(3)
        for vid in ids
        for key in [keys[vid][n]]
    ]
    # A resend of the same client id inside the same group is stored once too.
    jobs.append(visitor_messages.post_visitor_message(deps, ids[0], keys[ids[0]][0], "again"))
    acks = await asyncio.gather(*jobs)
    assert len({a["message"]["id"] for a in acks}) == 60
    assert acks[-1]["message"] == acks[0]["message"]
    async with deps.sessions() as s:
        stored = (await s.execute(select(Message).order_by(Message.id))).scalars().all()
        convs = {c.visitor_id: c for c in (await s.scalars(select(Conversation))).all()}
    assert len(stored) == 20 + 60
    texts = {m.text for m in stored}
    assert "again" not in texts and {f"{v}/{n}" for v in ids for n in range(3)} <= texts
    # Per visitor, the order stored is the order sent.
    for vid in ids:
        mine = [m.text for m in stored if m.sender_key == f"v:{vid}"][1:]
        assert mine == [f"{vid}/{n}" for n in range(3)]
        assert convs[vid].last_message_at == max(
            m.created_at for m in stored if m.sender_key == f"v:{vid}"
        )
    for ack in acks:
        assert ack["conversation"] == {
            "id": ack["message"]["conversation_id"],
            "status": "active",
            "operator_name": "anna",
            "queue_position": None,
            "rated": False,
        }
    # Each new message reached the visitor's room and the operator's room exactly once.
    sent = deps.notifier.sent[sent_before:]  # type: ignore[attr-defined]
    to_op = [d["id"] for e, d, r, _ in sent if e == "message" and r == operator_room(anna)]
    to_visitors = [d["id"] for e, d, r, _ in sent if e == "message" and r.startswith("visitor:")]
    assert sorted(to_op) == sorted(to_visitors) == sorted({a["message"]["id"] for a in acks})
    owner = {c.id: v for v, c in convs.items()}
    assert all(
        r == visitor_room(owner[d["conversation_id"]])
        for e, d, r, _ in sent
        if e == "message" and r.startswith("visitor:")
    )


async def test_a_queued_visitor_learns_their_place_from_the_group_path(deps: Deps) -> None:
    first, second = await visitor(deps), await visitor(deps)
    await visitor_messages.post_visitor_message(deps, first, cid(), "anyone?")
    await visitor_messages.post_visitor_message(deps, second, cid(), "hello?")
    a, b = await asyncio.gather(
        visitor_messages.post_visitor_message(deps, first, cid(), "still here"),
        visitor_messages.post_visitor_message(deps, second, cid(), "me too"),
    )
    assert (a["conversation"]["status"], a["conversation"]["queue_position"]) == ("queued", 1)
    assert (b["conversation"]["status"], b["conversation"]["queue_position"]) == ("queued", 2)


async def test_naming_someone_elses_conversation_is_refused_and_stores_nothing(
    deps: Deps,
) -> None:
    mine, theirs = await visitor(deps), await visitor(deps)
    ack = await visitor_messages.post_visitor_message(deps, theirs, cid(), "their chat")
    their_conv = ack["conversation"]["id"]
    await visitor_messages.post_visitor_message(deps, mine, cid(), "my chat")
    with pytest.raises(ConsultError) as exc:
        await visitor_messages.post_visitor_message(deps, mine, cid(), "sneaky", their_conv)
    assert exc.value.code == "not_found"
    async with deps.sessions() as s:
        texts = set((await s.scalars(select(Message.text))).all())
    assert texts == {"their chat", "my chat"}
