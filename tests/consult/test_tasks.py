import pytest

from prilavok.consult import tasks
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.errors import ConsultError
from prilavok.consult.kernel.notifier import OPERATORS_ROOM
from prilavok.consult.kernel.phones import normalize
from tests.clients import add_operator


def test_phones_are_normalised_or_refused() -> None:
    assert normalize("8 (912) 345-67-89") == "+79123456789"
    assert normalize("+7 912 345 67 89") == "+79123456789"
    for bad in ("12", "not a phone", "+7 000 000 00 00"):
        with pytest.raises(ConsultError) as exc:
            normalize(bad)
        assert exc.value.code == "invalid_phone"


async def test_a_callback_task_is_announced_taken_and_done(deps: Deps) -> None:
    anna = await add_operator(deps, "anna")
    boris = await add_operator(deps, "boris")
    task = await tasks.create(
        deps,
        tasks.NewTask(
            "callback", "widget", name="Мария", phone="89123456789", preferred_time="вечер"
        ),
    )
    assert task["phone"] == "+79123456789" and task["status"] == "open"
    assert deps.notifier.events("task", OPERATORS_ROOM)[-1]["id"] == task["id"]

    taken = await tasks.advance(deps, anna, task["id"], "taken")
    assert (taken["status"], taken["operator_name"]) == ("taken", "anna")
    with pytest.raises(ConsultError) as exc:
        await tasks.advance(deps, boris, task["id"], "taken")
    assert exc.value.code == "already_taken"
    with pytest.raises(ConsultError) as exc:
        await tasks.advance(deps, boris, task["id"], "done")
    assert exc.value.code == "forbidden"
    await tasks.advance(deps, anna, task["id"], "done")
    assert await tasks.listing(deps) == []


async def test_bad_tasks_store_nothing(deps: Deps) -> None:
    for new, code in [
        (tasks.NewTask("callback", "widget", phone="123"), "invalid_phone"),
        (tasks.NewTask("callback", "widget"), "invalid_phone"),
        (tasks.NewTask("message", "widget", text="  "), "empty"),
        (tasks.NewTask("fax", "widget", text="x"), "invalid_payload"),
    ]:
        with pytest.raises(ConsultError) as exc:
            await tasks.create(deps, new)
        assert exc.value.code == code
    assert await tasks.listing(deps) == []


async def test_a_flood_of_tasks_cannot_hide_a_new_request(deps: Deps) -> None:
    """Consoles get the newest OPEN_SHOWN open tasks, newest first (a reconnect too)."""
    for i in range(tasks.OPEN_SHOWN + 5):
        await tasks.create(deps, tasks.NewTask("message", "widget", text=f"spam {i}"))
    real = await tasks.create(
        deps, tasks.NewTask("callback", "widget", name="Мария", phone="89123456789")
    )
    shown = await tasks.listing(deps)
    assert len(shown) == tasks.OPEN_SHOWN
    assert shown[0]["id"] == real["id"]
    assert [t["id"] for t in shown] == sorted((t["id"] for t in shown), reverse=True)
