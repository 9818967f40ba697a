"""The operator console's Socket.IO namespace (`/operator`); see docs/protocol.md."""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import urlsplit

import socketio

from prilavok.consult import tasks
from prilavok.consult.chat import broadcast, chats, conversations, waiting
from prilavok.consult.kernel import logins, serialize
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.errors import ConsultError
from prilavok.consult.kernel.namespace import Handler, Namespace
from prilavok.consult.kernel.notifier import (
    OPERATOR_NS,
    OPERATORS_ROOM,
    QUEUE_DELTA_ROOM,
    QUEUE_FULL_ROOM,
    operator_room,
)
from prilavok.consult.kernel.payloads import (
    ConversationRef,
    HotReplyRef,
    OperatorMessage,
    Receipt,
    RenderHotReply,
    SaveHotReply,
    Status,
    TaskStep,
    Transfer,
    Typing,
    parse,
)
from prilavok.consult.kernel.web_auth import COOKIE
from prilavok.consult.team import hot_replies, operators
from prilavok.consult.visitors.visits import context, history
from prilavok.storage.models import Operator, Visit, Visitor


def cookie_value(environ: dict[str, Any], name: str = COOKIE) -> str | None:
    raw = environ.get("HTTP_COOKIE")
    if not raw:
        return None
    try:
        jar = SimpleCookie(raw)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def _origin(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def same_origin(environ: dict[str, Any], public_url: str = "") -> bool:
    """Whether a socket comes from the console's own origin: that of the public URL when it is
    set, else one on the host the request was sent to. The cookie is SameSite=Strict, but a
    page of the same site on another origin (the shop, when chat is on chat.<shop>) would still
    carry it. Browsers always send Origin on WebSockets and cross-origin requests; a request
    without it is a same-origin polling request or no browser at all."""
    origin = environ.get("HTTP_ORIGIN")
    if origin is None:
        return True
    own = _origin(public_url)
    if own:
        return _origin(origin) == own
    host = environ.get("HTTP_HOST", "").lower()
    return bool(host) and urlsplit(origin.strip()).netloc.lower() == host


class ConsoleNamespace(Namespace):
    def __init__(self, deps: Deps, public_url: str = "") -> None:
        super().__init__(OPERATOR_NS)
        self.deps = deps
        self.public_url = public_url

    def handlers(self) -> dict[str, Handler]:
        return {
            "status": self.on_status,
            "open": self.on_open,
            "message": self.on_message,
            "typing": self.on_typing,
            "delivered": self.on_delivered,
            "read": self.on_read,
            "take": self.on_take,
            "transfer": self.on_transfer,
            "close": self.on_close,
            "hot_reply.render": self.on_render,
            "hot_reply.save": self.on_save,
            "hot_reply.delete": self.on_delete,
            "task": self.on_task,
        }

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        # The JS client sees err.message and err.data = {code}.
        if not same_origin(environ, self.public_url):
            raise socketio.exceptions.ConnectionRefusedError(
                "the console's own pages only", {"code": "forbidden_origin"}
            )
        key = logins.session_key(cookie_value(environ))
        op = await logins.operator(self.deps, key)
        if op is None:
            raise socketio.exceptions.ConnectionRefusedError(
                "log in first", {"code": "unauthorized"}
            )
        await self.save_session(sid, {"operator_id": op.id, "login": key})
        await self.enter_room(sid, operator_room(op.id))
        await self.enter_room(sid, OPERATORS_ROOM)
        # `auth.queue = "delta"`: queue changes as deltas; otherwise the whole queue each time.
        deltas = isinstance(auth, dict) and auth.get("queue") == "delta"
        await self.enter_room(sid, QUEUE_DELTA_ROOM if deltas else QUEUE_FULL_ROOM)
        await operators.connected(self.deps, op.id, sid, key)
        await self.emit("init", await self._init(op.id), to=sid)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        await operators.disconnected(self.deps, sid)

    async def _init(self, operator_id: int) -> dict[str, Any]:
        async with self.deps.sessions() as session:
            op = await session.get(Operator, operator_id)
            assert op is not None
            mine = await chats.summaries(session, await chats.operator_chat_ids(session, op.id))
            queue = await chats.summaries(session, await waiting.queued_ids(session))
            replies = await hot_replies.listing(session, op.id)
        return {
            "operator": serialize.operator(op),
            "chats": mine,
            "queue": queue,
            "hot_replies": replies,
            "team": await broadcast.team_list(self.deps),
            "tasks": await tasks.listing(self.deps),
        }

    async def _operator(self, sid: str) -> Operator:
        """The socket's operator while its session lasts (the heartbeat closes the sockets of
        an ended one; until then their events are refused)."""
        op = await logins.operator(self.deps, (await self.get_session(sid))["login"])
        if op is None:
            raise ConsultError("unauthorized", "the session has ended; log in again", 401)
        return op

    async def on_status(self, sid: str, data: Any) -> dict[str, Any]:
        p = parse(Status, data)
        op = await self._operator(sid)
        op = await operators.set_status(self.deps, op.id, p.status)
        return {"operator": serialize.operator(op)}

    async def on_open(self, sid: str, data: Any) -> dict[str, Any]:
        p = parse(ConversationRef, data)
        op = await self._operator(sid)
        conv = await conversations.operator_conversation(
            self.deps, op, p.conversation_id, allow_queued=True
        )
        async with self.deps.sessions() as session:
            chat = (await chats.summaries(session, [conv.id]))[0]
            messages = await history(session, conv.id)
            ctx = await context(session, conv.visitor_id, self.deps.limits, conv.id)
        return {"chat": chat, "messages": messages, "context": {**ctx, "origin": conv.origin}}

    async def on_message(self, sid: str, data: Any) -> dict[str, Any]:
        p = parse(OperatorMessage, data)
        op = await self._operator(sid)
        msg = await conversations.post_operator_message(
            self.deps, op, p.conversation_id, p.client_id, p.text
        )
        return {"message": msg}

    async def on_typing(self, sid: str, data: Any) -> None:
        p = parse(Typing, data)
        op = await self._operator(sid)
        await conversations.operator_typing(self.deps, op, p.conversation_id, p.typing)

    async def _receipt(self, sid: str, data: Any, field: str) -> None:
        p = parse(Receipt, data)
        op = await self._operator(sid)
        conv = await conversations.operator_conversation(self.deps, op, p.conversation_id)
        await conversations.stamp_receipts(self.deps, conv, ("visitor",), field, p.up_to)

    async def on_delivered(self, sid: str, data: Any) -> None:
        await self._receipt(sid, data, "delivered_at")

    async def on_read(self, sid: str, data: Any) -> None:
        await self._receipt(sid, data, "read_at")

    async def on_take(self, sid: str, data: Any) -> dict[str, Any]:
        p = parse(ConversationRef, data)
        op = await self._operator(sid)
        await conversations.take(self.deps, op, p.conversation_id)
        async with self.deps.sessions() as session:
            return {"chat": (await chats.summaries(session, [p.conversation_id]))[0]}

    async def on_transfer(self, sid: str, data: Any) -> None:
        p = parse(Transfer, data)
        op = await self._operator(sid)
        await conversations.transfer(self.deps, op, p.conversation_id, p.operator_id)

    async def on_close(self, sid: str, data: Any) -> None:
        p = parse(ConversationRef, data)
        op = await self._operator(sid)
        await conversations.close(self.deps, op, p.conversation_id)

    async def on_render(self, sid: str, data: Any) -> dict[str, Any]:
        p = parse(RenderHotReply, data)
        op = await self._operator(sid)
        conv = await conversations.operator_conversation(
            self.deps, op, p.conversation_id, allow_queued=True
        )
        async with self.deps.sessions() as session:
            reply = await hot_replies.get_visible(session, op.id, p.hot_reply_id)
            visitor = await session.get(Visitor, conv.visitor_id)
            visit = await session.get(Visit, conv.visit_id) if conv.visit_id else None
        values = {
            "visitor.name": visitor.name if visitor else None,
            "operator.name": op.display_name,
            "visitor.page": (visit.current_title or visit.current_url) if visit else None,
        }
        locale = visitor.locale if visitor else None
        return {"text": hot_replies.render(reply.text, values, locale)}

    async def on_save(self, sid: str, data: Any) -> dict[str, Any]:
        p = parse(SaveHotReply, data)
        op = await self._operator(sid)
        saved = await hot_replies.save_own(self.deps, op.id, p.shortcut, p.text, p.id)
        return {"hot_reply": saved}

    async def on_delete(self, sid: str, data: Any) -> None:
        p = parse(HotReplyRef, data)
        op = await self._operator(sid)
        await hot_replies.delete_own(self.deps, op.id, p.id)

    async def on_task(self, sid: str, data: Any) -> dict[str, Any]:
        p = parse(TaskStep, data)
        op = await self._operator(sid)
        return {"task": await tasks.advance(self.deps, op, p.task_id, p.to)}
