"""Tasks for staff: call-back requests and messages left when nobody could answer.

Created by the widget and by offers' personal pages and bot buttons; every
console hears of a new one at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from prilavok.consult.kernel import serialize
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.errors import ConsultError, not_found
from prilavok.consult.kernel.notifier import OPERATOR_NS, OPERATORS_ROOM
from prilavok.consult.kernel.phones import normalize
from prilavok.storage.models import Operator, Task, utcnow

KINDS = ("callback", "message")
SOURCES = ("widget", "offer_page", "telegram", "viber")
OPEN_SHOWN = 200


@dataclass(frozen=True)
class NewTask:
    kind: str
    source: str
    name: str | None = None
    phone: str | None = None
    preferred_time: str | None = None
    text: str | None = None
    page_url: str | None = None
    visitor_id: int | None = None
    customer_ref: str | None = None
    # The client's address, for the limit per address (none for messenger buttons).
    address: str | None = None


def as_dict(task: Task, operator_name: str | None = None) -> dict[str, Any]:
    return {
        "id": task.id,
        "kind": task.kind,
        "source": task.source,
        "name": task.name,
        "phone": task.phone,
        "preferred_time": task.preferred_time,
        "text": task.text,
        "page_url": task.page_url,
        "visitor_id": task.visitor_id,
        "customer_ref": task.customer_ref,
        "status": task.status,
        "operator_id": task.operator_id,
        "operator_name": operator_name,
        "created_at": serialize.iso(task.created_at),
        "taken_at": serialize.iso(task.taken_at),
        "done_at": serialize.iso(task.done_at),
    }


async def create(deps: Deps, new: NewTask) -> dict[str, Any]:
    if new.kind not in KINDS or new.source not in SOURCES:
        raise ConsultError("invalid_payload", "unknown task kind or source")
    phone = normalize(new.phone) if new.phone else None
    if new.kind == "callback" and not phone:
        raise ConsultError("invalid_phone", "a call back needs a phone number")
    if new.kind == "message" and not (new.text or "").strip():
        raise ConsultError("empty", "the message is empty")
    limited = [("visitor_callbacks", str(new.visitor_id))] if new.visitor_id is not None else []
    if new.address:
        limited.append(("address_callbacks", new.address))
    for name, key in limited:  # both checked before either counts
        await deps.throttle.check(name, key)
    for name, key in limited:
        await deps.throttle.hit(name, key)
    async with deps.write() as session:
        task = Task(
            kind=new.kind,
            source=new.source,
            name=(new.name or "").strip()[:200] or None,
            phone=phone,
            preferred_time=(new.preferred_time or "").strip()[:100] or None,
            text=(new.text or "").strip()[: deps.limits.max_message_length] or None,
            page_url=(new.page_url or "")[:2048] or None,
            visitor_id=new.visitor_id,
            customer_ref=new.customer_ref,
            status="open",
            created_at=utcnow(),
        )
        session.add(task)
        await session.flush()
        data = as_dict(task)
    await deps.notifier.emit("task", data, room=OPERATORS_ROOM, namespace=OPERATOR_NS)
    return data


async def listing(deps: Deps) -> list[dict[str, Any]]:
    """The newest OPEN_SHOWN open and taken tasks, newest first: what the console shows. Newest
    first, so that a flood of old ones cannot push a real request out of a console's list."""
    async with deps.sessions() as session:
        rows = await session.execute(
            select(Task, Operator.display_name)
            .outerjoin(Operator, Operator.id == Task.operator_id)
            .where(Task.status != "done")
            .order_by(Task.created_at.desc(), Task.id.desc())
            .limit(OPEN_SHOWN)
        )
        return [as_dict(t, name) for t, name in rows.all()]


async def advance(deps: Deps, operator: Operator, task_id: int, to: str) -> dict[str, Any]:
    """open → taken (by this operator) → done; done by whoever took it, or an admin."""
    async with deps.write() as session:
        task = await session.get(Task, task_id)
        if task is None:
            raise not_found("task")
        if to == "taken":
            if task.status != "open":
                raise ConsultError("already_taken", "someone has taken this task", 409)
            task.status, task.operator_id, task.taken_at = "taken", operator.id, utcnow()
        elif to == "done":
            if task.status == "done":
                raise ConsultError("already_done", "the task is already done", 409)
            if task.operator_id not in (None, operator.id) and operator.role != "admin":
                raise ConsultError("forbidden", "another operator took this task", 403)
            task.status, task.done_at = "done", utcnow()
            task.operator_id = task.operator_id or operator.id
        else:
            raise ConsultError("invalid_payload", "a task goes to taken or done")
        data = as_dict(task, operator.display_name if task.operator_id == operator.id else None)
    await deps.notifier.emit("task", data, room=OPERATORS_ROOM, namespace=OPERATOR_NS)
    return data
