"""A fake Viber REST API (send_message, set_webhook) and Viber's signed callbacks to us.

As Viber does, it delivers only to users subscribed to the bot: opening the chat
(conversation_started) is not subscribing; pressing "subscribe" or sending a message is.
Anyone else gets status 6, receiverNotSubscribed."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import aiohttp
from aiohttp import web

from devkit.fakes.base import FakeServer


class FakeViber(FakeServer):
    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.sent: list[dict[str, Any]] = []
        self.webhooks: list[dict[str, Any]] = []
        self.subscribed: set[str] = set()
        self._next_token = 5_741_311_803_571_721_000
        self.app.router.add_post("/send_message", self.send_message)
        self.app.router.add_post("/set_webhook", self.set_webhook)

    def messages_to(self, user_id: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["receiver"] == user_id]

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("X-Viber-Auth-Token") == self.token

    async def send_message(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response({"status": 2, "status_message": "invalidAuthToken"})
        body = await request.json()
        if body.get("type") != "text" or not body.get("text") or "receiver" not in body:
            return web.json_response({"status": 3, "status_message": "badData"})
        if body["receiver"] not in self.subscribed:
            return web.json_response({"status": 6, "status_message": "notSubscribed"})
        self._next_token += 1
        body["message_token"] = self._next_token
        self.sent.append(body)
        return web.json_response(
            {"status": 0, "status_message": "ok", "message_token": self._next_token}
        )

    async def set_webhook(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response({"status": 2, "status_message": "invalidAuthToken"})
        self.webhooks.append(await request.json())
        return web.json_response(
            {"status": 0, "status_message": "ok", "event_types": self.webhooks[-1]["event_types"]}
        )


def event(kind: str, **fields: Any) -> dict[str, Any]:
    """A callback body in Viber's shape."""
    body: dict[str, Any] = {"event": kind, "timestamp": 1_790_000_000_000, **fields}
    if kind in ("seen", "delivered", "failed", "conversation_started", "message"):
        body.setdefault("message_token", 4_912_661_846_655_238_145)
    if kind == "failed":
        body.setdefault("desc", "failure description")
    return body


def user(user_id: str, name: str = "Иван") -> dict[str, Any]:
    return {"id": user_id, "name": name, "language": "ru", "country": "RU", "api_version": 8}


async def post_callback(
    url: str, token: str, body: dict[str, Any], signature: str | None = "sign"
) -> aiohttp.ClientResponse:
    """Posts like Viber does: X-Viber-Content-Signature = HMAC-SHA256(body, token), hex.
    signature=None sends none; any other string than "sign" is sent as it is."""
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        headers["X-Viber-Content-Signature"] = hmac.new(
            token.encode(), raw, hashlib.sha256
        ).hexdigest()
    elif signature is not None:
        headers["X-Viber-Content-Signature"] = signature
    async with aiohttp.ClientSession() as http:
        r = await http.post(url, data=raw, headers=headers)
        await r.read()
        return r
