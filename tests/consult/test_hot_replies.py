import pytest

from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.errors import ConsultError
from prilavok.consult.team import hot_replies
from tests.clients import add_operator


def test_render_fills_variables() -> None:
    out = hot_replies.render(
        "Здравствуйте, {visitor.name}! Я {operator.name}.",
        {"visitor.name": "Мария", "operator.name": "Анна"},
    )
    assert out == "Здравствуйте, Мария! Я Анна."


def test_render_uses_the_templates_fallback_then_the_locales() -> None:
    values = {"visitor.name": None, "operator.name": "Анна"}
    assert hot_replies.render("Привет, {visitor.name|друг}!", values) == "Привет, друг!"
    assert hot_replies.render("Привет, {visitor.name}!", values, "ru") == "Привет, гость!"
    assert hot_replies.render("Hi {visitor.name}!", values, "en") == "Hi there!"
    assert hot_replies.render("Hi {visitor.name|}!", values, "en") == "Hi !"


def test_render_leaves_unknown_variables_visible() -> None:
    assert hot_replies.render("{order.total} ₽", {}) == "{order.total} ₽"
    assert hot_replies.render("{cart.total}", {"cart.total": "34 990 ₽"}) == "34 990 ₽"


def test_render_does_not_interpret_markup_or_braces_in_values() -> None:
    out = hot_replies.render("{visitor.name}", {"visitor.name": "<b>{operator.name}</b>"})
    assert out == "<b>{operator.name}</b>"


async def test_own_and_global_replies(deps: Deps) -> None:
    anna = await add_operator(deps, "anna")
    boris = await add_operator(deps, "boris")
    async with deps.sessions.begin() as s:
        await hot_replies.save(s, None, "/hi", "Hello")
        await hot_replies.save(s, anna.id, "price", "Prices are on the page")
        await hot_replies.save(s, boris.id, "price", "Boris's own")
    async with deps.sessions() as s:
        mine = await hot_replies.listing(s, anna.id)
    assert [(r["shortcut"], r["scope"]) for r in mine] == [("hi", "global"), ("price", "own")]
    assert mine[1]["text"] == "Prices are on the page"

    async with deps.sessions.begin() as s:
        with pytest.raises(ConsultError) as exc:
            await hot_replies.save(s, anna.id, "price", "again")
    assert exc.value.code == "exists"
    async with deps.sessions.begin() as s:
        with pytest.raises(ConsultError) as exc:
            await hot_replies.delete(s, anna.id, mine[0]["id"])  # a global one
    assert exc.value.code == "forbidden"
