"""The server's half of proactive rules: caps, chatting, dismissals, capacity, hours, control."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from prilavok.consult.chat import conversations, hours, visitor_messages
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.errors import ConsultError
from prilavok.consult.proactive import decisions
from prilavok.consult.proactive.rules import apply, parse_rule
from prilavok.consult.team import operators
from prilavok.consult.visitors.visits import record_page, visitor_for_token
from prilavok.storage.models import Conversation, Invitation, ProactiveRule
from tests.clients import add_operator, cid


async def make_rule(deps: Deps, **kw) -> int:
    data = {
        "name": "test",
        "conditions": {"match": "all", "items": [{"type": "seconds_on_site", "value": 1}]},
        "action": "invite",
        "text": "{visitor.name|Здравствуйте}, помочь? В корзине {cart.count} на {cart.total}",
        "holdout_percent": 0,
        **kw,
    }
    async with deps.write() as s:
        rule = ProactiveRule()
        apply(rule, parse_rule(data))
        s.add(rule)
        await s.flush()
        return rule.id


async def new_visitor(deps: Deps, name: str | None = None) -> int:
    async with deps.write() as s:
        v = await visitor_for_token(s, None, "ru")
        v.name = name
        await record_page(s, v.id, "http://shop.test/cart", "Корзина", deps.limits)
        return v.id


async def online(deps: Deps, login: str = "anna", capacity: int = 4):
    op = await add_operator(deps, login, capacity=capacity, name="Анна")
    await operators.connected(deps, op.id, f"sid-{login}")
    return op


async def test_the_shipped_defaults_follow_the_articles(deps: Deps) -> None:
    async with deps.sessions() as s:
        shipped = list(await s.scalars(select(ProactiveRule).order_by(ProactiveRule.priority)))
    assert [r.conditions for r in shipped] == [
        {
            "match": "any",
            "items": [
                {"type": "seconds_on_site", "value": 50},
                {"type": "pages_viewed", "value": 6},
            ],
        },
        {
            "match": "all",
            "items": [{"type": "idle_on_page", "seconds": 20, "url_pattern": "*cart*"}],
        },
    ]
    assert all(r.enabled and r.holdout_percent == 10 for r in shipped)


async def test_invitation_text_and_caps(deps: Deps) -> None:
    await online(deps)
    rule = await make_rule(deps)
    vid = await new_visitor(deps, name="Мария")
    from prilavok.consult.visitors import shopping

    await shopping.set_cart(
        deps, vid, shopping.CartIn.model_validate({"items": [{"id": "p", "price": 34990}]})
    )
    first = await decisions.decide(deps, vid, rule)
    assert first["action"] == "invite" and first["operator_name"] == "Анна"
    assert first["text"] == "Мария, помочь? В корзине 1 на 34\u202f990 ₽"
    assert await decisions.decide(deps, vid, rule) == {"action": "none", "reason": "capped"}

    other = await make_rule(deps, name="other")
    await decisions.respond(deps, vid, first["invitation_id"], "dismissed")
    # A dismissal silences every rule for the rest of the visit.
    assert await decisions.decide(deps, vid, other) == {"action": "none", "reason": "dismissed"}
    with pytest.raises(ConsultError) as exc:
        await decisions.respond(deps, vid, first["invitation_id"], "accepted")
    assert exc.value.code == "already_answered"


async def test_no_invitation_while_chatting_and_chats_remember_the_invitation(deps: Deps) -> None:
    await online(deps)
    rule = await make_rule(deps, action="open")
    vid = await new_visitor(deps)
    decision = await decisions.decide(deps, vid, rule)
    assert decision["action"] == "open"
    ack = await visitor_messages.post_visitor_message(deps, vid, cid(), "да, помогите")
    async with deps.sessions() as s:
        conv = await s.get(Conversation, ack["conversation"]["id"])
        inv = await s.get(Invitation, decision["invitation_id"])
    assert (conv.origin, conv.invitation_id) == ("invitation", inv.id)
    assert inv.status == "accepted"
    other = await make_rule(deps, name="other")
    assert await decisions.decide(deps, vid, other) == {"action": "none", "reason": "chatting"}


async def test_when_everyone_is_full_a_rule_offers_the_callback_form_or_nothing(
    deps: Deps,
) -> None:
    await online(deps, capacity=1)
    busy_vid = await new_visitor(deps)
    await visitor_messages.post_visitor_message(deps, busy_vid, cid(), "занимаю оператора")
    plain = await make_rule(deps)
    with_form = await make_rule(deps, name="form", fallback_callback=True)
    vid = await new_visitor(deps)
    assert await decisions.decide(deps, vid, plain) == {"action": "none", "reason": "busy"}
    got = await decisions.decide(deps, vid, with_form)
    assert got["action"] == "callback"


async def test_outside_business_hours_nobody_is_invited(deps: Deps) -> None:
    await online(deps)
    closed_all_week = hours.parse({"timezone": "Europe/Moscow", "days": {}})
    assert closed_all_week.open_at(datetime(2026, 11, 22, 3, tzinfo=UTC))  # no days: always
    weekdays = hours.parse(
        {"timezone": "Europe/Moscow", "days": {"mon": ["09:00", "18:00"], "sun": None}}
    )
    monday_noon_msk = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
    assert weekdays.open_at(monday_noon_msk)
    assert not weekdays.open_at(datetime(2026, 11, 23, 16, 0, tzinfo=UTC))  # 19:00
    assert not weekdays.open_at(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))  # Sunday
    with pytest.raises(ConsultError):
        hours.parse({"timezone": "Mars/Olympus", "days": {}})
    with pytest.raises(ConsultError):
        hours.parse({"days": {"mon": ["18:00", "09:00"]}})

    always_closed = {d: None for d in hours.DAYS}
    async with deps.write() as s:
        await hours.save(s, hours.parse({"days": always_closed}))
    rule = await make_rule(deps)
    vid = await new_visitor(deps)
    assert await decisions.decide(deps, vid, rule) == {"action": "none", "reason": "closed"}


async def test_the_control_group_is_held_back_and_recorded(deps: Deps) -> None:
    await online(deps, capacity=100)
    rule = await make_rule(deps, holdout_percent=50)
    outcomes = []
    for _ in range(40):
        vid = await new_visitor(deps)
        got = await decisions.decide(deps, vid, rule)
        outcomes.append(got["action"])
        assert (got["action"] == "none") == decisions.in_control(vid, rule, 50)
    assert 5 < outcomes.count("none") < 35
    async with deps.sessions() as s:
        groups = [i.group for i in await s.scalars(select(Invitation))]
    assert groups.count("control") == outcomes.count("none")


async def test_a_rule_is_validated(deps: Deps) -> None:
    for bad in [
        {"name": "", "conditions": {"items": [{"type": "exit_intent"}]}},
        {"name": "x", "conditions": {"items": []}},
        {"name": "x", "conditions": {"items": [{"type": "teleport"}]}},
        {"name": "x", "conditions": {"items": [{"type": "pages_viewed", "value": -1}]}},
        {"name": "x", "conditions": {"items": [{"type": "exit_intent"}]}, "holdout_percent": 90},
    ]:
        with pytest.raises(ConsultError) as exc:
            parse_rule(bad)
        assert exc.value.code == "invalid_payload"


async def test_ratings_once_and_only_for_a_closed_chat(deps: Deps) -> None:
    anna = await online(deps)
    vid = await new_visitor(deps)
    ack = await visitor_messages.post_visitor_message(deps, vid, cid(), "вопрос")
    conv_id = ack["conversation"]["id"]
    with pytest.raises(ConsultError) as exc:
        await conversations.rate(deps, vid, conv_id, 5, None)
    assert exc.value.code == "conversation_open"
    await conversations.close(deps, anna, conv_id)
    stranger = await new_visitor(deps)
    with pytest.raises(ConsultError) as exc:
        await conversations.rate(deps, stranger, conv_id, 1, None)
    assert exc.value.code == "not_found"
    await conversations.rate(deps, vid, conv_id, 4, "  спасибо ")
    with pytest.raises(ConsultError) as exc:
        await conversations.rate(deps, vid, conv_id, 5, None)
    assert exc.value.code == "already_rated"
    async with deps.sessions() as s:
        conv = await s.get(Conversation, conv_id)
    assert (conv.rating, conv.rating_comment) == (4, "спасибо")
