"""A fake Telegram Bot API: /bot<token>/<method> with the real JSON shapes, including
429 {"parameters": {"retry_after": N}} and 403 "Forbidden: bot was blocked by the user".

Like Telegram, it fetches the links in a sent text to draw previews (GET, user agent
"TelegramBot (like TwitterBot)") unless the message disables them (`link_preview_options`
{"is_disabled": true}); `resolve` maps public addresses to the local server under test, and
`preview_always` fetches even when disabled (other robots will: mail scanners, antivirus).

It keeps its own books on flood control: a request that arrives inside a retry_after window
(answered 429 again, as Telegram does), or a second message to a chat within a second, is
counted in `violations`. With `per_second`, it also enforces a bot-wide limit as Telegram does:
more than that many accepted sendMessage calls in any one second (a sliding window) are answered
429 with the whole seconds until the oldest of them leaves the window.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections import deque
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from devkit.fakes.base import FakeServer
from prilavok.bot.clock import Clock

PREVIEW_AGENT = "TelegramBot (like TwitterBot)"
_URL = re.compile(r"https?://[^\s<>\"']+")


class FakeTelegram(FakeServer):
    def __init__(
        self,
        token: str,
        clock: Clock,
        username: str = "shop_offers_bot",
        per_second: int | None = None,
    ) -> None:
        super().__init__()
        self.token = token
        self.clock = clock
        self.username = username
        self.sent: list[dict[str, Any]] = []
        self.blocked: set[int] = set()
        self.flood_on: set[int] = set()  # which sendMessage calls (1-based) get a 429
        self.retry_after = 5
        self.calls = 0
        self.violations: list[str] = []
        self.per_second = per_second
        self.rate_limited = 0  # 429s answered, for whatever reason
        self._window: deque[datetime] = deque()  # accepted sends within the last second
        self.answered_callbacks: list[str] = []
        self._quiet_until: datetime | None = None
        self._last_in_chat: dict[int, datetime] = {}
        self._next_id = 1
        self._grew = asyncio.Event()
        self.resolve: dict[str, str] = {}  # public URL prefix -> where to fetch it here
        self.preview_always = False
        self.previews: list[tuple[str, int]] = []  # (URL, HTTP status) of preview fetches
        self.app.router.add_post("/bot{token}/{method}", self.handle)

    def messages_to(self, chat_id: int) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["chat_id"] == chat_id]

    async def wait_sent(self, n: int) -> None:
        while len(self.sent) < n:
            self._grew.clear()
            await self._grew.wait()

    def offers_to(self, chat_id: int) -> list[dict[str, Any]]:
        """Messages with inline buttons: offers, not the bot's replies."""
        return [m for m in self.messages_to(chat_id) if m["reply_markup"]]

    @staticmethod
    def _error(status: int, description: str, **parameters: Any) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=status)

    def _too_many(self, retry_after: int) -> web.Response:
        self.rate_limited += 1
        return self._error(
            429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
        )

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        form = dict(await request.post())
        if method == "getMe":
            return web.json_response(
                {
                    "ok": True,
                    "result": {
                        "id": 1,
                        "is_bot": True,
                        "first_name": "Shop",
                        "username": self.username,
                    },
                }
            )
        if method == "answerCallbackQuery":
            self.answered_callbacks.append(str(form.get("text", "")))
            return web.json_response({"ok": True, "result": True})
        if method != "sendMessage":
            return web.json_response({"ok": True, "result": True})
        response = self._send(form)
        if response.status == 200:
            await self._preview(form)
        return response

    async def _preview(self, form: dict[str, Any]) -> None:
        """Telegram's servers fetch each link of the text for its preview before delivering."""
        options = json.loads(form.get("link_preview_options") or "{}")
        if options.get("is_disabled") and not self.preview_always:
            return
        for url in _URL.findall(str(form.get("text", ""))):
            for public, local in self.resolve.items():
                if url.startswith(public):
                    url = local + url[len(public) :]
            try:
                async with (
                    aiohttp.ClientSession() as http,
                    http.get(url, headers={"User-Agent": PREVIEW_AGENT}) as r,
                ):
                    await r.read()
                    self.previews.append((url, r.status))
            except aiohttp.ClientError:
                self.previews.append((url, 0))

    def _send(self, form: dict[str, Any]) -> web.Response:
        now = self.clock.now()
        self.calls += 1
        chat_id = int(form["chat_id"])
        if self._quiet_until and now < self._quiet_until:
            self.violations.append(f"call {self.calls} inside retry_after")
            return self._too_many(math.ceil((self._quiet_until - now).total_seconds()))
        if self.calls in self.flood_on:
            self._quiet_until = now + timedelta(seconds=self.retry_after)
            return self._too_many(self.retry_after)
        if self.per_second is not None:
            while self._window and (now - self._window[0]).total_seconds() >= 1:
                self._window.popleft()
            if len(self._window) >= self.per_second:
                left = 1 - (now - self._window[0]).total_seconds()
                retry_after = max(1, math.ceil(left))
                self._quiet_until = now + timedelta(seconds=retry_after)
                return self._too_many(retry_after)
            self._window.append(now)
        if chat_id in self.blocked:
            return self._error(403, "Forbidden: bot was blocked by the user")
        last = self._last_in_chat.get(chat_id)
        if last is not None and (now - last).total_seconds() < 1:
            self.violations.append(f"two messages to chat {chat_id} within a second")
        self._last_in_chat[chat_id] = now
        markup = json.loads(form["reply_markup"]) if form.get("reply_markup") else None
        message = {
            "message_id": self._next_id,
            "chat_id": chat_id,
            "text": form.get("text", ""),
            "reply_markup": markup,
            "link_preview_options": json.loads(form.get("link_preview_options") or "null"),
            "at": now,
        }
        self._next_id += 1
        self.sent.append(message)
        self._grew.set()
        return web.json_response(
            {
                "ok": True,
                "result": {
                    "message_id": message["message_id"],
                    "date": int(now.timestamp()),
                    "chat": {"id": chat_id, "type": "private"},
                    "text": message["text"],
                },
            }
        )


def update_message(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    """An Update with a private message, as Telegram posts it to a webhook."""
    user = {"id": chat_id, "is_bot": False, "first_name": "Иван"}
    entities = (
        [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if text.startswith("/")
        else None
    )
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": 1_790_000_000,
        "chat": {"id": chat_id, "type": "private", "first_name": "Иван"},
        "from": user,
        "text": text,
    }
    if entities:
        message["entities"] = entities
    return {"update_id": update_id, "message": message}


def update_button(update_id: int, chat_id: int, data: str, message_id: int) -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": "Иван"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": str(update_id),
            "from": user,
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": 1_790_000_000,
                "chat": {"id": chat_id, "type": "private"},
                "text": "offer",
            },
        },
    }
