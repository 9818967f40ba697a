"""New chats, opened in groups: one routing decision for every first message that came together.

A new chat is decided under `Deps.routing()` (a PostgreSQL advisory lock, or the writer's lock
on SQLite), so new chats go one decision at a time across every process. Made one by one, each
decision held the lock through a dozen round trips while the event loop served everything
else between them: a crowd of new chats (a campaign's visitors, a restart's reconnects) opened
about twenty a second. Here a group shares one decision: the lock, one query for each thing
read (open conversations, visits, the invitations they answer, the operators' free places),
one flush of the new conversations, one INSERT of the messages and one commit, whatever the
group's size. Operators are chosen in arrival order exactly as one-by-one routing would.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from prilavok.consult.chat import availability, messages, routing
from prilavok.consult.chat.grouping import Grouper
from prilavok.consult.chat.invitations import origins_of_new_chats
from prilavok.consult.kernel.deps import Deps, Limits
from prilavok.consult.visitors.visits import current_visits
from prilavok.storage.models import Conversation, utcnow

# Bounded like the group commit's, for SQLite's limit on bound parameters.
MAX_GROUP = 256


@dataclass(frozen=True)
class Opening:
    """A visitor's message that found no open conversation before the lock."""

    visitor_id: int
    client_id: str
    text: str


@dataclass(frozen=True)
class Opened:
    conversation_id: int
    status: str
    operator_id: int | None
    # This group opened the conversation (else another tab or process had, meanwhile).
    created: bool
    # The stored message; None when its client id was already stored (a resend that raced).
    message: Any


async def open_chat(deps: Deps, job: Opening) -> Opened:
    grouper = deps.groups.get(__name__)
    if grouper is None:
        grouper = deps.groups[__name__] = Grouper(partial(_open_group, deps), MAX_GROUP)
    opened: Opened = await grouper.submit(job)
    return opened


async def _open_group(deps: Deps, jobs: list[Opening]) -> list[Opened]:
    async with deps.routing() as session:
        return await _decide(session, deps.limits, jobs)


async def _decide(session: AsyncSession, limits: Limits, jobs: list[Opening]) -> list[Opened]:
    visitor_ids = list(dict.fromkeys(j.visitor_id for j in jobs))
    convs: dict[int, Conversation] = {}
    for conv in await session.scalars(
        select(Conversation)
        .where(Conversation.visitor_id.in_(visitor_ids), Conversation.status != "closed")
        .order_by(Conversation.id)
    ):
        convs[conv.visitor_id] = conv  # the newest, should there be two
    new = [vid for vid in visitor_ids if vid not in convs]
    created: set[int] = set()
    if new:
        created = {id(c) for c in await _open(session, limits, new, convs)}
    now = utcnow()
    rows = []
    first: dict[tuple[str, str], int] = {}  # a client id twice in the group: the first is it
    for index, job in enumerate(jobs):
        conv = convs[job.visitor_id]
        conv.last_message_at = now
        key = (f"v:{job.visitor_id}", job.client_id)
        if key not in first:
            first[key] = index
            rows.append(messages.row(conv.id, "visitor", key[0], key[1], job.text, now))
    connection = await session.connection()
    stored = {
        (m.sender_key, m.client_id): m
        for m in await connection.run_sync(lambda conn: messages.insert_many(conn, rows))
    }
    results = []
    for index, job in enumerate(jobs):
        conv = convs[job.visitor_id]
        key = (f"v:{job.visitor_id}", job.client_id)
        results.append(
            Opened(
                conversation_id=conv.id,
                status=conv.status,
                operator_id=conv.operator_id,
                created=id(conv) in created,
                message=stored.get(key) if first[key] == index else None,
            )
        )
    return results


async def _open(
    session: AsyncSession, limits: Limits, visitor_ids: list[int], convs: dict[int, Conversation]
) -> list[Conversation]:
    """New conversations for these visitors, each routed as it would be alone, in this order."""
    visits = await current_visits(session, visitor_ids, limits)
    answered = await origins_of_new_chats(session, [v.id for v in visits.values()])
    now = utcnow()
    opened = []
    for vid in visitor_ids:
        visit = visits[vid]
        conv = Conversation(
            visitor_id=vid, visit_id=visit.id, status="queued", created_at=now, queued_at=now
        )
        invitation = answered.get(visit.id)
        if invitation is not None:
            conv.origin, conv.invitation_id = "invitation", invitation.id
            invitation.status = "accepted"
            invitation.responded_at = invitation.responded_at or now
        convs[vid] = conv
        opened.append(conv)
    session.add_all(opened)
    await session.flush()
    places = await routing.places(session, limits)
    for conv in opened:
        chosen = routing.choose(places)
        if chosen is None:
            break
        routing.assign_to(conv, chosen.operator_id)
        chosen.load += 1
    queued = [c for c in opened if c.status == "queued"]
    if queued:
        # Nobody can answer now: kept, and marked for whoever comes first.
        offline = await availability.closed_reason(session, limits) is not None
        for conv in queued:
            conv.left_offline = offline
    return opened
