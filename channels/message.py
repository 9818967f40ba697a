"""What every transport sends and answers: one message type and one protocol.

A transport turns a `Message` into its service's request and its service's failures into
`channels.errors`; nothing else about a channel needs to be known to send by it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Button:
    """A button under the text: opens `url`, or sends `reply` back to the bot when pressed
    (Telegram's callback data, at most 64 bytes; Viber's reply body)."""

    text: str
    url: str | None = None
    reply: str | None = None


@dataclass(frozen=True)
class Message:
    to: str  # the recipient in that service: a chat id, a user id, a phone number
    text: str
    # Rows of buttons, top to bottom. A service without buttons (SMS) sends the text alone,
    # so whatever a button leads to must be in the text too.
    buttons: tuple[tuple[Button, ...], ...] = ()
    # What only one service understands (Viber's tracking data); the others ignore it.
    extras: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Sent:
    provider_id: str  # the service's id of the message; its reports name it


@dataclass(frozen=True)
class Status:
    """A service's word on one sent message, reduced to what the offers side needs."""

    delivered: bool = False
    failed: bool = False
    final: bool = False
    detail: str = ""


class Transport(Protocol):
    """One outbound channel. `send` raises `channels.errors.ChannelError` subclasses only."""

    async def open(self) -> None: ...
    async def close(self) -> None: ...
    def fits(self, text: str) -> bool:
        """Whether the service takes `text` as one message (length, SMS segments)."""
        ...

    async def send(self, message: Message) -> Sent: ...


@runtime_checkable
class Reporting(Transport, Protocol):
    """A transport whose messages' fates are asked for later (SMS delivery reports)."""

    async def statuses(self, ids: list[str]) -> dict[str, Status]:
        """provider id → status, for the ids the service knows."""
        ...
