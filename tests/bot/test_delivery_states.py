"""The delivery state machine: every legal move, every refused one, on rows in hand and in bulk
(both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from prilavok.bot import delivery_states as states
from prilavok.bot.delivery_states import TRANSITIONS, IllegalTransition, Reason, State
from prilavok.consult.kernel.deps import Deps
from prilavok.storage.models import Customer, Delivery, Offer

AT = datetime(2026, 11, 20, 12, tzinfo=UTC)
PAIRS = [(a, b) for a in State for b in State]


def row(state: State, **extra: object) -> Delivery:
    return Delivery(state=state, lease_owner="node", lease_until=AT, **extra)


def test_the_table_names_every_state_and_ends_in_final_ones() -> None:
    assert set(TRANSITIONS) == set(State)
    assert {s for s, to in TRANSITIONS.items() if not to} == {
        State.READ,
        State.FAILED,
        State.SWITCHED,
    }
    # Every state can be reached from a new row.
    seen, todo = {states.INITIAL}, [states.INITIAL]
    while todo:
        for nxt in TRANSITIONS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert seen == set(State)


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_move_does_what_the_table_says_and_nothing_else(source: State, target: State) -> None:
    d = row(source, reason=Reason.QUIET_HOURS, note="before")
    if target in TRANSITIONS[source]:
        states.move(d, target, Reason.REJECTED, "x" * 600)
        assert d.state == target
        if target == State.SENDING:  # a claim keeps the old reason and its lease
            assert (d.reason, d.note, d.lease_owner) == (Reason.QUIET_HOURS, "before", "node")
        else:
            assert (d.reason, d.note) == (Reason.REJECTED, "x" * 500)
            assert d.lease_owner is None and d.lease_until is None
    else:
        with pytest.raises(IllegalTransition) as err:
            states.move(d, target, Reason.REJECTED, "no")
        assert (err.value.source, err.value.target) == (source, target)
        # Refused means untouched.
        assert (d.state, d.reason, d.note, d.lease_owner) == (
            source,
            Reason.QUIET_HOURS,
            "before",
            "node",
        )


def test_named_moves_keep_to_the_table() -> None:
    d = row(State.SENDING)
    states.wait(d, AT + timedelta(hours=1), Reason.QUIET_HOURS)
    assert (d.state, d.reason, d.not_before) == (
        State.SCHEDULED,
        "quiet_hours",
        AT + timedelta(hours=1),
    )
    with pytest.raises(IllegalTransition):
        states.wait(d, AT, Reason.QUIET_HOURS)  # scheduled → scheduled: nothing to wait from
    with pytest.raises(IllegalTransition):
        states.switch(row(State.SCHEDULED), Reason.BLOCKED)
    with pytest.raises(IllegalTransition):
        states.unread(row(State.READ))
    with pytest.raises(IllegalTransition):
        states.sending(row(State.SCHEDULED), "sms", "", AT)
    failed = row(State.FAILED)
    assert states.read(failed, AT) is False and failed.state == State.FAILED
    sent = row(State.SENT)
    assert states.read(sent, AT) is True
    assert (sent.state, sent.read_at, sent.delivered_at) == (State.READ, AT, AT)
    unread = row(State.UNREAD)
    states.delivered(unread, AT)  # a late report: stamped, still unread
    assert (unread.state, unread.delivered_at) == (State.UNREAD, AT)


def test_a_state_this_code_does_not_know_goes_nowhere() -> None:
    with pytest.raises(IllegalTransition):
        states.move(Delivery(state="lost"), State.SENT)


def test_a_bulk_update_from_a_state_that_may_not_go_there_is_refused() -> None:
    with pytest.raises(IllegalTransition):
        states.update(State.FAILED, (State.SCHEDULED, State.READ), Reason.OPTED_OUT)
    with pytest.raises(IllegalTransition):
        states.update(State.SCHEDULED, (State.SCHEDULED,))


async def test_a_bulk_update_changes_only_rows_in_its_sources(deps: Deps) -> None:
    async with deps.sessions.begin() as session:
        customer = Customer(shop_id="s", name="И", phone="+79120000000", link_token="t")
        offer = Offer(shop_id="s", title="x", sku="y", template="z")
        session.add_all([customer, offer])
        await session.flush()
        for i, state in enumerate(State, start=1):
            session.add(
                Delivery(offer_id=offer.id, customer_id=customer.id, attempt=i,
                         code=f"c{i}", slug="i", state=state)
            )  # fmt: skip
    change = states.update(State.FAILED, (State.SCHEDULED,), Reason.OPTED_OUT, "стоп")
    async with deps.sessions.begin() as session:
        await session.execute(change.where(Delivery.customer_id == customer.id))
    async with deps.sessions() as session:
        found = {
            d.attempt: (d.state, d.reason, d.note) for d in await session.scalars(select(Delivery))
        }
    expected = {i: (s.value, None, None) for i, s in enumerate(State, start=1)}
    expected[1] = ("failed", "opted_out", "стоп")  # the one scheduled row
    assert found == expected
