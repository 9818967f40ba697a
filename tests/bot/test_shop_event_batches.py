"""Events in batches (POST /api/v1/events, up to 1,000 at once): a batch sent again changes
nothing; one bad event refuses the whole batch; within a batch each cart enters once, the
latest state counts, an event sees the customer an earlier one linked, and the holdout is the
run's own hash."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from prilavok.bot import journey_entry
from prilavok.storage.models import Customer, Journey, JourneyRun, JourneyTimer, ShopEvent
from tests.bot.conftest import Env

PEOPLE = 120


def cart(n: int, *, sku: str = "case-1", event: str = "") -> dict[str, Any]:
    return {
        "id": event or f"cart-ev-{n}",
        "type": "cart.changed",
        "customer": {"id": f"k{n}"},
        "cart": {"id": f"c{n}", "items": [{"sku": sku, "price": 990, "category": "cases"}]},
    }


async def people(env: Env) -> None:
    await env.customers(
        *(
            {"name": f"Покупатель {n}", "phone": f"+7900{n:07d}", "external_id": f"k{n}",
             "consent": {"sms": True}}
            for n in range(PEOPLE)
        )
    )  # fmt: skip


async def counts(env: Env) -> dict[str, int]:
    async with env.server.deps.sessions() as session:
        return {
            table.__tablename__: await session.scalar(select(func.count()).select_from(table))
            for table in (ShopEvent, JourneyRun, JourneyTimer, Customer)
        }


async def contexts(env: Env) -> dict[str, Any]:
    async with env.server.deps.sessions() as session:
        rows = await session.scalars(select(JourneyRun))
        return {r.trigger_key: r.context for r in rows}


async def test_a_batch_sent_again_is_all_duplicates_and_changes_nothing(env: Env) -> None:
    await people(env)
    batch = [cart(n) for n in range(PEOPLE)]
    status, data = await env.call("POST", "/api/v1/events", {"events": batch})
    assert status == 201, data
    assert [e["status"] for e in data["events"]] == ["new"] * PEOPLE
    first = await counts(env)
    assert (first["journey_runs"], first["journey_timers"]) == (PEOPLE, PEOPLE)
    before = await contexts(env)
    # The same ids again, even saying something else, are the same events: the shop's retry.
    changed = [cart(n, sku="other") for n in range(PEOPLE)]
    status, data = await env.call("POST", "/api/v1/events", {"events": changed})
    assert status == 200, data
    assert [e["status"] for e in data["events"]] == ["duplicate"] * PEOPLE
    assert await counts(env) == first
    assert await contexts(env) == before
    # A batch of old and new: only the new ones are taken, answered in the batch's order.
    mixed = [cart(0), cart(0, sku="glass", event="later-0"), cart(1)]
    status, data = await env.call("POST", "/api/v1/events", {"events": mixed})
    assert status == 201
    assert [e["status"] for e in data["events"]] == ["duplicate", "new", "duplicate"]
    after = await contexts(env)
    assert after["cart:c0"]["cart"]["items"][0]["sku"] == "glass"  # the run shows the cart now
    assert (await counts(env))["journey_runs"] == PEOPLE  # and was not entered twice


async def test_one_bad_event_anywhere_refuses_the_batch_and_names_it(env: Env) -> None:
    await people(env)
    good = [cart(n) for n in range(60)]
    newcomer = {"id": "who", "type": "customer.identified",
                "customer": {"id": "new-1", "phone": "+79990000001", "name": "Новый"}}  # fmt: skip
    before = await counts(env)
    cases = [
        ({"id": "x", "type": "cart.changed", "customer": {"id": "k1"}}, "events[37]", ""),
        ("not an event", "events[37]", "expected an object"),
        ({**cart(1), "cart": {"items": [{"sku": ""}]}}, "events[37].cart.items.0.sku", ""),
        ({**cart(1), "customer": {"id": "k1", "phone": "12"}}, "events[37].customer.phone", ""),
    ]  # fmt: skip
    for bad, where, said in cases:
        batch = [*good[:37], bad, *good[37:], newcomer]
        status, data = await env.call("POST", "/api/v1/events", {"events": batch})
        assert status == 400, (bad, data)
        assert data["error"]["code"] == "invalid_payload"
        assert data["error"]["message"].startswith(where), data
        assert said in data["error"]["message"]
    # Nothing of any of them was stored, not even the valid events or the new customer.
    assert await counts(env) == before
    too_many = [cart(n, event=f"many-{n}") for n in range(1001)]
    status, data = await env.call("POST", "/api/v1/events", {"events": too_many})
    assert (status, data["error"]["code"]) == (400, "too_many")
    assert await counts(env) == before


async def test_within_a_batch_each_cart_enters_once_and_sees_earlier_links(env: Env) -> None:
    await people(env)
    (guest,) = await env.customers({"name": "Гость", "phone": "+79110000099"})
    status, _ = await env.call("POST", "/api/v1/events", {"events": [cart(0)]})
    assert status == 201  # the shop's journeys now exist; hold half the runs out
    async with env.server.deps.write() as session:
        await session.execute(
            update(Journey).where(Journey.key == "abandoned_cart").values(holdout_percent=50)
        )
    batch = [
        *(cart(n) for n in range(1, PEOPLE)),
        cart(5, sku="glass", event="cart-5-again"),  # the same cart changed later
        # Nobody knows "site-77" until the event naming their phone too links them.
        {"id": "v1", "type": "cart.changed", "customer": {"id": "site-77"},
         "cart": {"id": "s77", "items": [{"sku": "a"}]}},
        {"id": "link", "type": "customer.identified",
         "customer": {"id": "site-77", "phone": "+7 (911) 000-00-99"}},
        {"id": "v2", "type": "cart.changed", "customer": {"id": "site-77"},
         "cart": {"id": "s78", "items": [{"sku": "b"}]}},
    ]  # fmt: skip
    status, data = await env.call("POST", "/api/v1/events", {"events": batch})
    assert status == 201, data
    async with env.server.deps.sessions() as session:
        runs = list(await session.scalars(select(JourneyRun)))
        events = {e.event_id: e for e in await session.scalars(select(ShopEvent))}
        linked = await session.get(Customer, guest["id"])
    assert linked is not None and linked.external_id == "site-77"
    assert events["v1"].customer_id is None and events["v2"].customer_id == linked.id
    keys = [(r.customer_id, r.trigger_key) for r in runs]
    assert len(keys) == len(set(keys)) == PEOPLE + 1  # k0..k119, and s78 for site-77
    assert ("cart:s77" not in {k for _, k in keys}) and (linked.id, "cart:s78") in keys
    by_key = {r.trigger_key: r for r in runs}
    assert by_key["cart:c5"].context["cart"]["items"][0]["sku"] == "glass"
    for run in runs:
        if run.trigger_key == "cart:c0":
            continue  # entered before the holdout was set
        held = journey_entry.in_control(run.journey_id, run.customer_id, run.trigger_key, 50)
        assert run.group == ("control" if held else "treated")
    groups = {r.group for r in runs}
    assert groups == {"control", "treated"}
