"""Operator sessions on the server: made at log-in, ended by log-out, idleness or a new password.

The cookie holds a random token; the table holds its SHA-256. A console socket remembers its
session (operator_presence.session_id), so ending a session closes its sockets: at once where
it ends, and on every process at its next heartbeat (`sweep`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.notifier import OPERATOR_NS
from prilavok.storage.models import Operator, OperatorPresence, OperatorSession, utcnow

# token_urlsafe(32) makes 43 of these; anything else is no token of ours.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
# A session's seen_at moves at most this often: a write per request would cost more than it says.
TOUCH_EVERY = timedelta(seconds=60)


def session_key(token: object) -> str | None:
    """The row id for a cookie's token, or None when it cannot be one."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    return hashlib.sha256(token.encode()).hexdigest()


async def start(deps: Deps, operator_id: int) -> str:
    """A new session; the token goes into the cookie and is not kept."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    async with deps.write() as session:
        session.add(
            OperatorSession(
                id=session_key(token), operator_id=operator_id, created_at=now, seen_at=now
            )
        )
    return token


async def operator(deps: Deps, key: str | None) -> Operator | None:
    """The operator of a live session (by `session_key`), marking it used; else None."""
    if key is None:
        return None
    async with deps.sessions() as session:
        row = (
            await session.execute(
                select(OperatorSession.seen_at, Operator)
                .join(Operator, Operator.id == OperatorSession.operator_id)
                .where(OperatorSession.id == key)
            )
        ).first()
    if row is None:
        return None
    seen_at, op = row
    if op.deactivated_at is not None:
        return None
    now = utcnow()
    if now - seen_at > timedelta(seconds=deps.limits.session_idle_seconds):
        return None
    if now - seen_at > TOUCH_EVERY:
        async with deps.write() as session:
            await session.execute(
                update(OperatorSession).where(OperatorSession.id == key).values(seen_at=now)
            )
    return op


async def _close_sockets(deps: Deps, sids: list[str]) -> None:
    for sid in sids:
        await deps.notifier.disconnect(sid, namespace=OPERATOR_NS)


async def end(deps: Deps, key: str | None) -> None:
    """Log-out: the session and its consoles end; the cookie opens nothing any more."""
    if key is None:
        return
    async with deps.write() as session:
        await session.execute(delete(OperatorSession).where(OperatorSession.id == key))
        sids = list(
            await session.scalars(
                select(OperatorPresence.sid).where(OperatorPresence.session_id == key)
            )
        )
    await _close_sockets(deps, sids)


async def forget_all(session: AsyncSession, operator_id: int) -> list[str]:
    """Ends every session of an operator in `session`'s transaction; answers their sockets."""
    await session.execute(delete(OperatorSession).where(OperatorSession.operator_id == operator_id))
    sids = await session.scalars(
        select(OperatorPresence.sid).where(OperatorPresence.operator_id == operator_id)
    )
    return list(sids)


async def end_all(deps: Deps, operator_id: int) -> None:
    """Log out everywhere."""
    async with deps.write() as session:
        sids = await forget_all(session, operator_id)
    await _close_sockets(deps, sids)


async def sweep(session: AsyncSession, deps: Deps) -> list[str]:
    """Heartbeat work, in its transaction: sessions with a console open here are in use; idle
    ones end. Answers this process's sockets whose session has ended (elsewhere, perhaps)."""
    now = utcnow()
    here = select(OperatorPresence.session_id).where(
        OperatorPresence.node_id == deps.node_id, OperatorPresence.session_id.is_not(None)
    )
    await session.execute(
        update(OperatorSession).where(OperatorSession.id.in_(here)).values(seen_at=now)
    )
    idle = now - timedelta(seconds=deps.limits.session_idle_seconds)
    await session.execute(delete(OperatorSession).where(OperatorSession.seen_at < idle))
    gone = await session.scalars(
        select(OperatorPresence.sid).where(
            OperatorPresence.node_id == deps.node_id,
            OperatorPresence.session_id.is_not(None),
            OperatorPresence.session_id.not_in(select(OperatorSession.id)),
        )
    )
    return list(gone)
