"""Viber's REST API: messages built with viberbot's classes, sent with aiohttp.

viberbot's own sender uses blocking `requests` with no timeout, so it would stall the event loop.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from viberbot.api.messages import TextMessage

from prilavok.channels.errors import Blocked, NotSubscribed, RateLimited, Rejected, Unreachable
from prilavok.channels.http import HttpTransport
from prilavok.channels.message import Button, Message, Sent

DEFAULT_API_BASE = "https://chatapi.viber.com/pa"
MAX_TEXT = 7000
# Events the webhook asks for: reads and failures drive fallback, the rest link and opt out.
WEBHOOK_EVENTS = [
    "delivered",
    "seen",
    "failed",
    "subscribed",
    "unsubscribed",
    "conversation_started",
]

# Viber's status codes (send_message, set_webhook).
_NOT_REGISTERED = 5  # receiverNotRegistered: no Viber account (any more)
_NOT_SUBSCRIBED = 6  # receiverNotSubscribed: has not subscribed to the bot (yet)
_TOO_MANY = 12
_OUR_SIDE = {2, 7, 8, 9, 10}  # bad token, account blocked / not found / suspended, no webhook
RATE_LIMIT_PAUSE = 60.0
# A keyboard row is six columns wide.
ROW = 6


class ViberChannel(HttpTransport):
    def __init__(
        self,
        token: str,
        api_base: str = DEFAULT_API_BASE,
        sender_name: str = "Prilavok",
        timeout: float = 20,
    ) -> None:
        super().__init__(api_base, timeout)
        self.token = token
        self.sender_name = sender_name[:28]

    async def _call(self, method: str, payload: dict[str, Any]) -> dict[str, Any]:
        headers = {"X-Viber-Auth-Token": self.token}
        try:
            async with self.http.post(
                f"{self.api_base}/{method}", json=payload, headers=headers
            ) as r:
                if r.status == 429:
                    raise RateLimited(RATE_LIMIT_PAUSE, "HTTP 429")
                if r.status >= 500:
                    raise Unreachable(f"HTTP {r.status}")
                data = await r.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise Unreachable(str(exc) or type(exc).__name__) from exc
        if not isinstance(data, dict):
            raise Unreachable("unexpected answer")
        status, message = data.get("status"), str(data.get("status_message", ""))
        if status == 0:
            return data
        if status == _NOT_SUBSCRIBED:
            raise NotSubscribed(message)
        if status == _NOT_REGISTERED:
            raise Blocked(message)
        if status == _TOO_MANY:
            raise RateLimited(RATE_LIMIT_PAUSE, message)
        if status in _OUR_SIDE:
            raise Unreachable(message)
        raise Rejected(f"{status}: {message}")

    def fits(self, text: str) -> bool:
        return len(text) <= MAX_TEXT

    async def send(self, message: Message) -> Sent:
        """Sends a text to the user id in `message.to`, buttons as a keyboard (extras:
        `tracking_data`); the id is Viber's message_token."""
        keyboard = None
        if message.buttons:
            keyboard = {
                "Type": "keyboard",
                "DefaultHeight": False,
                "Buttons": [
                    keyboard_button(b, max(1, ROW // len(row)))
                    for row in message.buttons
                    for b in row
                ],
            }
        text = TextMessage(
            text=message.text, keyboard=keyboard, tracking_data=message.extras.get("tracking_data")
        )
        payload = {
            "receiver": message.to,
            "sender": {"name": self.sender_name},
            "min_api_version": 3,
            **text.to_dict(),
        }
        data = await self._call("send_message", payload)
        return Sent(str(data["message_token"]))

    async def set_webhook(self, url: str) -> dict[str, Any]:
        return await self._call(
            "set_webhook", {"url": url, "event_types": WEBHOOK_EVENTS, "send_name": True}
        )


def keyboard_button(button: Button, columns: int = ROW) -> dict[str, Any]:
    """A link opens in the browser; a reply is sent back as the user's message (our webhook
    sees it)."""
    action = ("open-url", button.url) if button.url else ("reply", button.reply or button.text)
    return {
        "Columns": columns,
        "Rows": 1,
        "ActionType": action[0],
        "ActionBody": action[1],
        "Text": button.text,
    }
