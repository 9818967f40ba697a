"""Queue changes, coalesced: consoles get deltas, each waiting visitor only their own place.

Actions note what happened to the queue — a chat joined it, changed in it (a new message), or
left it (assigned, taken, closed). Notes made within `Limits.queue_debounce_seconds` of the
first go out together in one flush, so a burst of a thousand new chats costs the consoles about
a thousand Chat objects, not a thousand copies of the whole queue:

- `queue.delta` `{added, updated, removed}` to every console that asked for deltas;
- `queue` (the whole queue, once per flush) to consoles that did not: the console page until it
  speaks deltas (docs/protocol.md);
- `conversation` to each waiting visitor whose place moved, which only a chat leaving the queue
  ahead of them does (a new chat joins at the end; a message changes nobody's place);
- then `availability` to every widget, if it changed (consult.chat.availability): queue changes
  move it, and so do what `touch()` notes — consoles coming and going, places taken and freed.

Each process flushes what its own actions noted; a flush reads the committed state, so what it
sends is true whichever process made the change.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import select

from prilavok.consult.chat import availability, chats, waiting
from prilavok.consult.kernel import serialize
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.notifier import (
    OPERATOR_NS,
    QUEUE_DELTA_ROOM,
    QUEUE_FULL_ROOM,
    VISITOR_NS,
    visitor_room,
)
from prilavok.storage.models import Conversation

log = logging.getLogger(__name__)


class QueueFeed:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self._joined: set[int] = set()
        self._changed: set[int] = set()
        self._left: dict[int, str] = {}
        self._touched = False
        self._timer: asyncio.TimerHandle | None = None
        # The running flush: the loop keeps only a weak reference to a task.
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def joined(self, conv_id: int) -> None:
        self._joined.add(conv_id)
        self._schedule()

    def changed(self, conv_id: int) -> None:
        self._changed.add(conv_id)
        self._schedule()

    def left(self, conv_id: int, reason: str) -> None:
        self._left[conv_id] = reason
        self._schedule()

    def touch(self) -> None:
        """Something that may change availability happened (the queue itself aside)."""
        self._touched = True
        self._schedule()

    def close(self) -> None:
        """Drops what is pending (a stopping process: consoles resync on reconnect)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _schedule(self) -> None:
        if self._timer is None:
            loop = asyncio.get_running_loop()
            delay = self.deps.limits.queue_debounce_seconds
            self._timer = loop.call_later(delay, self._start)

    def _start(self) -> None:
        self._timer = None
        self._task = asyncio.get_running_loop().create_task(self._flush_logged())

    async def _flush_logged(self) -> None:
        try:
            await self.flush()
        except Exception:  # a failed push is not the action's failure; the next one resyncs
            log.exception("queue flush failed")

    async def flush(self) -> None:
        """Sends what was noted so far (at once: tests and a stopping process call it)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        async with self._lock:
            joined, changed, left = self._joined, self._changed, self._left
            touched, self._touched = self._touched, False
            self._joined, self._changed, self._left = set(), set(), {}
            if joined or changed or left:
                await self._send(joined, changed, left)
            if touched or joined or left:
                await availability.publish(self.deps)

    async def _send(self, joined: set[int], changed: set[int], left: dict[int, str]) -> None:
        deps = self.deps
        fresh = sorted((joined | changed) - set(left))
        async with deps.sessions() as session:
            found = [c for c in await chats.summaries(session, fresh) if c["status"] == "queued"]
            found.sort(key=lambda c: c["queue_position"])
            # The whole queue only for consoles that still take it (built for nobody else).
            full = deps.notifier.may_reach(QUEUE_FULL_ROOM, OPERATOR_NS)
            line = await waiting.line(session) if left or full else []
            moved = await _moved(session, line, left) if left else []
            whole = await chats.summaries(session, [c for c, _, _ in line]) if full else None
        delta = {
            "added": [c for c in found if c["id"] in joined],
            "updated": [c for c in found if c["id"] not in joined],
            "removed": [{"conversation_id": cid, "reason": why} for cid, why in left.items()],
        }
        await deps.notifier.emit("queue.delta", delta, room=QUEUE_DELTA_ROOM, namespace=OPERATOR_NS)
        if whole is not None:
            await deps.notifier.emit("queue", whole, room=QUEUE_FULL_ROOM, namespace=OPERATOR_NS)
        for conv_id, visitor_id, place in moved:
            await deps.notifier.emit(
                "conversation",
                serialize.waiting_conversation(conv_id, place),
                room=visitor_room(visitor_id),
                namespace=VISITOR_NS,
            )


async def _moved(
    session: Any, line: list[tuple[int, int, Any]], left: dict[int, str]
) -> list[tuple[int, int, int]]:
    """(conversation, visitor, new place) of the chats that were behind one that left."""
    rows = await session.execute(
        select(Conversation.queued_at, Conversation.id).where(
            Conversation.id.in_(list(left)), Conversation.queued_at.is_not(None)
        )
    )
    keys = [(at, cid) for at, cid in rows.all()]
    if not keys:
        return []
    first = min(keys)
    places = waiting.places([cid for cid, _, _ in line])
    return [(cid, vid, places[cid]) for cid, vid, at in line if (at, cid) > first]


def feed(deps: Deps) -> QueueFeed:
    """This process's feed (one per Deps, like the group-commit queues)."""
    found = deps.groups.get(__name__)
    if found is None:
        found = deps.groups[__name__] = QueueFeed(deps)
    return found


async def flush(deps: Deps) -> None:
    found = deps.groups.get(__name__)
    if found is not None:
        await found.flush()
