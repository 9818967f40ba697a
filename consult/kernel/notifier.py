"""Real-time pushes: the domain names rooms and events; the app wires this to Socket.IO."""

from __future__ import annotations

from typing import Any, Protocol

VISITOR_NS = "/visitor"
OPERATOR_NS = "/operator"
# Every connected console joins this room: queue and team changes go to all of them.
OPERATORS_ROOM = "operators"
# Consoles that take queue deltas (`queue.delta`), and those that still take the whole queue
# (`queue`) on every change: the console page until it speaks deltas.
QUEUE_DELTA_ROOM = "operators:queue-delta"
QUEUE_FULL_ROOM = "operators:queue-full"
# Every widget joins this one: rule changes reach pages that are already open.
VISITORS_ROOM = "visitors"


def visitor_room(visitor_id: int) -> str:
    return f"visitor:{visitor_id}"


def operator_room(operator_id: int) -> str:
    return f"operator:{operator_id}"


class Notifier(Protocol):
    async def emit(
        self, event: str, data: Any, *, room: str, namespace: str, skip_sid: str | None = None
    ) -> None:
        """`skip_sid`: a connection in the room that already has it (the sender, from its ack)."""

    def may_reach(self, room: str, namespace: str) -> bool:
        """False only when nobody can be in the room, so a costly push need not be built."""

    async def disconnect(self, sid: str, *, namespace: str) -> None:
        """Closes a connection, on whichever process holds it."""


class RecordingNotifier:
    """Keeps what was emitted; for tests and for running the domain without sockets."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any, str, str]] = []
        self.disconnected: list[str] = []

    async def emit(
        self, event: str, data: Any, *, room: str, namespace: str, skip_sid: str | None = None
    ) -> None:
        self.sent.append((event, data, room, namespace))

    def may_reach(self, room: str, namespace: str) -> bool:
        return True

    async def disconnect(self, sid: str, *, namespace: str) -> None:
        self.disconnected.append(sid)

    def events(self, event: str, room: str | None = None) -> list[Any]:
        return [d for e, d, r, _ in self.sent if e == event and (room is None or r == room)]
