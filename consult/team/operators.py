"""Operators: accounts, log-in, status, and presence (which consoles are connected where)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.consult.chat import availability, broadcast, queue_feed, routing
from prilavok.consult.chat.conversations import drain_queue
from prilavok.consult.kernel import logins
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.errors import ConsultError
from prilavok.consult.kernel.notifier import OPERATOR_NS
from prilavok.consult.kernel.passwords import Passwords, hash_password
from prilavok.storage.models import Node, Operator, OperatorPresence, utcnow

ROLES = ("operator", "admin")
MIN_PASSWORD = 8


async def create(
    session: AsyncSession,
    passwords: Passwords,
    login: str,
    password: str,
    *,
    display_name: str | None = None,
    role: str = "operator",
    capacity: int = 4,
) -> Operator:
    login = login.strip()
    if not login or len(login) > 100:
        raise ConsultError("invalid_payload", "a login is 1 to 100 characters")
    if role not in ROLES:
        raise ConsultError("invalid_payload", f"role is one of {', '.join(ROLES)}")
    if capacity < 1:
        raise ConsultError("invalid_payload", "capacity is at least 1")
    _check_password(password)
    if await session.scalar(select(Operator.id).where(Operator.login == login)):
        raise ConsultError("exists", f"operator {login!r} already exists", 409)
    op = Operator(
        login=login,
        display_name=(display_name or login).strip() or login,
        password_hash=await passwords.hash(password),
        role=role,
        capacity=capacity,
        status="online",
    )
    session.add(op)
    await session.flush()
    return op


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ConsultError("weak_password", f"a password has at least {MIN_PASSWORD} characters")


async def authenticate(deps: Deps, login: str, password: str) -> Operator | None:
    async with deps.sessions() as session:
        op = await session.scalar(select(Operator).where(Operator.login == login.strip()))
    if op is None:
        # Spend the same time as a real check so that logins cannot be probed by timing.
        await deps.passwords.verify(_DUMMY_HASH, password)
        return None
    if not await deps.passwords.verify(op.password_hash, password):
        return None
    # Said only to whoever knows the password: it tells nothing to somebody guessing.
    if op.deactivated_at is not None:
        raise ConsultError("deactivated", "this account is deactivated; ask an admin", 403)
    return op


_DUMMY_HASH = hash_password("not a real password")


async def set_password(
    session: AsyncSession, passwords: Passwords, op: Operator, password: str
) -> list[str]:
    """A new password logs the operator out everywhere; answers the console sockets to close
    (a process without them leaves that to the servers' heartbeats)."""
    _check_password(password)
    op.password_hash = await passwords.hash(password)
    return await logins.forget_all(session, op.id)


async def set_status(deps: Deps, operator_id: int, status: str) -> Operator:
    async with deps.write() as session:
        op = await session.get(Operator, operator_id)
        if op is None:
            raise ConsultError("unauthorized", "the operator no longer exists", 401)
        op.status = status
    await broadcast.push_team_list(deps)
    if status == "online":
        await drain_queue(deps)
    else:
        queue_feed.feed(deps).touch()
    return op


async def connected(deps: Deps, operator_id: int, sid: str, session_id: str | None = None) -> None:
    async with deps.write() as session:
        session.add(
            OperatorPresence(
                sid=sid, operator_id=operator_id, node_id=deps.node_id, session_id=session_id
            )
        )
    await broadcast.push_team_list(deps)
    await drain_queue(deps)


async def disconnected(deps: Deps, sid: str) -> None:
    async with deps.write() as session:
        await session.execute(delete(OperatorPresence).where(OperatorPresence.sid == sid))
    await broadcast.push_team_list(deps)
    queue_feed.feed(deps).touch()


async def beat(deps: Deps) -> None:
    """This process is alive; forget processes that stopped beating (and their consoles); keep
    sessions with a console open here, end idle ones, close sockets of ended ones."""
    now = utcnow()
    async with deps.write() as session:
        node = await session.get(Node, deps.node_id)
        if node is None:
            session.add(Node(id=deps.node_id, seen_at=now))
        else:
            node.seen_at = now
        stale = now - timedelta(seconds=deps.limits.presence_ttl_seconds * 10)
        dead = select(Node.id).where(Node.seen_at < stale)
        await session.execute(delete(OperatorPresence).where(OperatorPresence.node_id.in_(dead)))
        await session.execute(delete(Node).where(Node.seen_at < stale))
        ended = await logins.sweep(session, deps)
    for sid in ended:
        await deps.notifier.disconnect(sid, namespace=OPERATOR_NS)
    # Chats put back in line elsewhere (`prilavok operator deactivate`) find free places here;
    # nothing is pushed when nothing moved.
    async with deps.routing() as session:
        assigned = await routing.drain(session, deps.limits)
    if assigned:
        await broadcast.assignments(deps, assigned)
        await broadcast.push_team_list(deps)
    # Time moves availability too: business hours begin and end, a dead process's consoles
    # stop counting.
    await availability.publish(deps)


async def leave(deps: Deps) -> None:
    """A clean shutdown: this process's consoles are gone now, not after the TTL."""
    async with deps.write() as session:
        await session.execute(
            delete(OperatorPresence).where(OperatorPresence.node_id == deps.node_id)
        )
        await session.execute(delete(Node).where(Node.id == deps.node_id))
