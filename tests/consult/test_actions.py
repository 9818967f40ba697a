"""The actions the edges call: each writes in one transaction and pushes only after the commit.

`Witness` is the notifier: at every push it reads, with a session of its own, what is committed
then; a push made inside the transaction would find the change not there yet."""

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.consult.chat import availability, conversations, hours, visitor_messages
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.errors import ConsultError
from prilavok.consult.kernel.notifier import (
    OPERATORS_ROOM,
    VISITORS_ROOM,
    RecordingNotifier,
    operator_room,
    visitor_room,
)
from prilavok.consult.proactive import decisions, rules
from prilavok.consult.team import accounts, hot_replies
from prilavok.consult.visitors import shopping, visits
from prilavok.storage.models import AuditEntry, Operator, ProactiveRule, RelatedProduct, Visit
from tests.clients import cid
from tests.consult.test_routing import new_visitor, online

Probe = Callable[[AsyncSession], Awaitable[Any]]


class Witness(RecordingNotifier):
    def __init__(self, deps: Deps, probe: Probe) -> None:
        super().__init__()
        self.deps, self.probe = deps, probe
        self.seen: list[tuple[str, Any]] = []

    async def emit(self, event: str, data: Any, **kw: Any) -> None:
        async with self.deps.sessions() as session:
            self.seen.append((event, await self.probe(session)))
        await super().emit(event, data, **kw)

    def at(self, event: str) -> list[Any]:
        return [seen for e, seen in self.seen if e == event]


def witness(deps: Deps, probe: Probe) -> Witness:
    deps.notifier = w = Witness(deps, probe)
    return w


async def audited(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


async def test_rules_are_saved_audited_then_pushed_to_open_pages(deps: Deps) -> None:
    async def probe(s: AsyncSession) -> tuple[list[str], list[str]]:
        return list(await s.scalars(select(ProactiveRule.name))), await audited(s)

    w = witness(deps, probe)
    before = await deps_rule_names(deps)
    data = rules.parse_rule(
        {"name": "Корзина", "conditions": {"items": [{"type": "cart_not_empty"}]}}
    )
    saved = await decisions.save_rule(deps, "boss", data)
    assert w.at("rules") == [([*before, "Корзина"], ["rule.create"])]
    assert any(r["id"] == saved["id"] for r in w.events("rules", VISITORS_ROOM)[-1])
    await decisions.delete_rule(deps, "boss", saved["id"])
    assert w.at("rules")[-1] == (before, ["rule.create", "rule.delete"])
    with pytest.raises(ConsultError) as exc:
        await decisions.delete_rule(deps, "boss", saved["id"])
    assert exc.value.code == "not_found" and len(w.at("rules")) == 2


async def deps_rule_names(deps: Deps) -> list[str]:
    async with deps.sessions() as s:
        return list(await s.scalars(select(ProactiveRule.name)))


async def test_business_hours_are_saved_audited_then_widgets_told(deps: Deps) -> None:
    await online(deps, "anna")
    await availability.publish(deps)
    closed = hours.parse({"timezone": "UTC", "days": {d: None for d in hours.DAYS}})

    async def probe(s: AsyncSession) -> tuple[hours.Hours, list[str]]:
        return await hours.load(s), await audited(s)

    w = witness(deps, probe)
    await availability.set_hours(deps, "boss", closed)
    assert w.at("availability") == [(closed, ["settings.business_hours"])]
    assert w.events("availability", VISITORS_ROOM)[-1]["state"] == "offline"


async def test_operators_are_created_and_changed_then_the_team_told(deps: Deps) -> None:
    async def probe(s: AsyncSession) -> tuple[dict[str, int], list[str]]:
        ops = (await s.execute(select(Operator.login, Operator.capacity))).all()
        return dict(ops), await audited(s)

    w = witness(deps, probe)
    made = await accounts.create(
        deps, "boss", "vera", "correct horse 1", name="Вера", role="operator", capacity=2
    )
    assert made["name"] == "Вера" and made["capacity"] == 2
    assert w.at("team") == [({"vera": 2}, ["operator.create"])]
    await accounts.change(deps, "boss", made["id"], accounts.Change(capacity=5))
    assert w.at("team")[-1] == ({"vera": 5}, ["operator.create", "operator.change"])
    assert w.events("team", OPERATORS_ROOM)[-1][0]["capacity"] == 5
    with pytest.raises(ConsultError):
        await accounts.change(deps, "boss", made["id"] + 100, accounts.Change(capacity=3))
    assert len(w.at("team")) == 2


async def test_hot_replies_own_ones_pushed_to_their_consoles_global_ones_audited(
    deps: Deps,
) -> None:
    anna = await online(deps, "anna")

    async def probe(s: AsyncSession) -> list[str]:
        return [r["shortcut"] for r in await hot_replies.listing(s, anna.id)]

    w = witness(deps, probe)
    mine = await hot_replies.save_own(deps, anna.id, "/hi", "Здравствуйте!")
    assert w.at("hot_replies") == [["hi"]]
    assert w.events("hot_replies", operator_room(anna.id))[-1][0]["id"] == mine["id"]
    await hot_replies.delete_own(deps, anna.id, mine["id"])
    assert w.at("hot_replies")[-1] == []
    shared = await hot_replies.add_global(deps, "boss", "bye", "До свидания")
    await hot_replies.delete_global(deps, "boss", shared["id"])
    async with deps.sessions() as s:
        assert await audited(s) == ["hot_reply.create", "hot_reply.delete"]
        assert await hot_replies.listing(s, anna.id) == []
    assert len(w.at("hot_replies")) == 2  # global ones are not pushed (as before)


async def test_related_goods_are_added_and_deleted_with_their_audit(deps: Deps) -> None:
    made = await shopping.add_related(deps, "boss", " чай ", "Чайник", "/kettle", 990.0)
    assert (made["category"], made["price"]) == ("чай", 990.0)
    await shopping.delete_related(deps, "boss", made["id"])
    async with deps.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(RelatedProduct)) == 0
        assert await audited(s) == ["related.create", "related.delete"]
    with pytest.raises(ConsultError) as exc:
        await shopping.delete_related(deps, "boss", made["id"])
    assert exc.value.code == "not_found"


async def open_chat(deps: Deps) -> tuple[Operator, int, int]:
    anna = await online(deps, "anna")
    vid = await new_visitor(deps)
    ack = await visitor_messages.post_visitor_message(deps, vid, cid(), "Здравствуйте")
    assert ack["conversation"]["status"] == "active"
    return anna, vid, ack["conversation"]["id"]


async def test_typing_goes_each_way_and_only_in_ones_own_chat(deps: Deps) -> None:
    anna, vid, conv_id = await open_chat(deps)
    boris = await online(deps, "boris")
    await conversations.operator_typing(deps, anna, conv_id, True)
    told = deps.notifier.events("typing", visitor_room(vid))
    assert told == [{"typing": True, "author_name": "anna"}]
    with pytest.raises(ConsultError) as exc:
        await conversations.operator_typing(deps, boris, conv_id, True)
    assert exc.value.code == "forbidden" and len(deps.notifier.events("typing")) == 1
    await conversations.visitor_typing(deps, vid, False)
    told = deps.notifier.events("typing", operator_room(anna.id))
    assert told == [{"conversation_id": conv_id, "typing": False}]


async def test_the_visitors_receipts_name_their_own_chat_or_the_open_one(deps: Deps) -> None:
    anna, vid, conv_id = await open_chat(deps)
    reply = await conversations.post_operator_message(deps, anna, conv_id, cid(), "Чем помочь?")
    await conversations.visitor_mark(deps, vid, None, "read_at", reply["id"])
    got = deps.notifier.events("receipt", operator_room(anna.id))[-1]
    assert (got["field"], got["up_to"]) == ("read", reply["id"])
    stranger = await new_visitor(deps)
    with pytest.raises(ConsultError) as exc:
        await conversations.visitor_mark(deps, stranger, conv_id, "read_at", reply["id"])
    assert exc.value.code == "not_found"
    with pytest.raises(ConsultError):
        await conversations.visitor_mark(deps, stranger, None, "read_at", reply["id"])


async def test_pages_carts_activity_and_purchases_reach_the_operator_after_the_commit(
    deps: Deps,
) -> None:
    anna, vid, conv_id = await open_chat(deps)

    async def probe(s: AsyncSession) -> tuple[str | None, float]:
        visit = await visits.current_visit(s, vid, deps.limits, start=False)
        assert visit is not None
        return visit.current_url, visit.cart_total

    w = witness(deps, probe)
    room = operator_room(anna.id)
    await visits.page(deps, vid, "http://shop.test/tea", "Чай")
    assert w.at("page") == [("http://shop.test/tea", 0.0)]
    assert w.events("page", room)[-1]["conversation_id"] == conv_id
    cart = shopping.CartIn(items=[shopping.Item(id="k1", price=990)], total=990)
    await shopping.set_cart(deps, vid, cart)
    assert w.at("cart") == [("http://shop.test/tea", 990.0)]
    await shopping.activity(deps, vid, 40, True, False)
    assert w.events("activity", room)[-1]["idle_seconds"] == 40
    await shopping.purchase(deps, vid, shopping.PurchaseIn(order_id="A-1", total=990))
    assert w.at("purchase") == [("http://shop.test/tea", 0.0)]
    assert w.events("purchase", room)[-1]["order_id"] == "A-1"
    # The same page again is no news.
    await visits.page(deps, vid, "http://shop.test/tea", "Чай")
    assert len(w.at("page")) == 1


async def test_arriving_makes_or_finds_the_visitor_and_tells_their_operator(deps: Deps) -> None:
    fresh = await visits.arrive(deps, None, "ru", "http://shop.test/", "Главная")
    assert fresh != await visits.arrive(deps, None, "en", "http://shop.test/", "Главная")
    anna, vid, conv_id = await open_chat(deps)
    assert await visits.arrive(deps, vid, None, "http://shop.test/sale", "Скидки") == vid
    told = deps.notifier.events("page", operator_room(anna.id))[-1]
    assert (told["conversation_id"], told["url"]) == (conv_id, "http://shop.test/sale")


async def test_a_signed_identity_carries_the_page_over_to_the_known_customer(
    deps: Deps,
) -> None:
    secret = "shop-secret"
    signed = shopping.IdentityIn(id="cust-7", hash=shopping.identity_hash(secret, "cust-7"))
    laptop = await visits.arrive(deps, None, "ru", "http://shop.test/", "Главная")
    assert (await shopping.identify_customer(deps, laptop, signed, secret))[0] == laptop
    phone = await visits.arrive(deps, None, "ru", "http://shop.test/kettle", "Чайник")
    assert (await shopping.identify_customer(deps, phone, signed, secret))[0] == laptop
    async with deps.sessions() as s:
        visit = await s.scalar(
            select(Visit).where(Visit.visitor_id == laptop).order_by(Visit.id.desc())
        )
    assert visit is not None and visit.current_url == "http://shop.test/kettle"
