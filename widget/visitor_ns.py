"""The widget's Socket.IO namespace (`/visitor`); see docs/protocol.md."""

from __future__ import annotations

from typing import Any

import socketio

from consult import conversations, visitors
from consult.deps import Deps
from consult.errors import ConsultError
from consult.namespace import Handler, Namespace
from consult.notifier import OPERATOR_NS, VISITOR_NS, operator_room, visitor_room
from consult.payloads import PageView, VisitorMessage, VisitorRead, VisitorTyping, parse
from consult.tokens import Signer
from storage.models import Conversation

LOCALES = ("ru", "en")


class VisitorNamespace(Namespace):
    def __init__(self, deps: Deps, signer: Signer) -> None:
        super().__init__(VISITOR_NS)
        self.deps = deps
        self.signer = signer

    def handlers(self) -> dict[str, Handler]:
        return {
            "message": self.on_message,
            "typing": self.on_typing,
            "read": self.on_read,
            "delivered": self.on_delivered,
            "page": self.on_page,
        }

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        auth = auth if isinstance(auth, dict) else {}
        locale = auth.get("locale") if auth.get("locale") in LOCALES else None
        try:
            page = parse(PageView, {"url": auth.get("url"), "title": auth.get("title") or ""})
        except ConsultError as exc:
            raise socketio.exceptions.ConnectionRefusedError(
                exc.message, {"code": exc.code}
            ) from None
        claimed = self.signer.visitor_id(auth.get("token"))
        async with self.deps.write() as session:
            visitor = await visitors.identify(session, claimed, locale)
            _, view = await visitors.record_page(
                session,
                visitor.id,
                page.url,
                page.title,
                self.deps.limits,
                environ.get("HTTP_USER_AGENT"),
            )
            visitor_id, name = visitor.id, visitor.name
        await self.save_session(sid, {"visitor_id": visitor_id})
        await self.enter_room(sid, visitor_room(visitor_id))
        state = await conversations.visitor_state(self.deps, visitor_id)
        await self.emit(
            "session",
            {
                "token": self.signer.visitor_token(visitor_id),
                "visitor": {"id": visitor_id, "name": name},
                **state,
            },
            to=sid,
        )
        if view is not None:
            await self._tell_operator(visitor_id, visitors.page_dict(view))

    async def _visitor_id(self, sid: str) -> int:
        return int((await self.get_session(sid))["visitor_id"])

    async def on_message(self, sid: str, data: Any) -> dict[str, Any]:
        p = parse(VisitorMessage, data)
        vid = await self._visitor_id(sid)
        if p.conversation_id is not None:
            await self._own_conversation(vid, p.conversation_id)
        return await conversations.post_visitor_message(self.deps, vid, p.client_id, p.text)

    async def _own_conversation(self, visitor_id: int, conv_id: int) -> Conversation:
        """The named conversation, refused alike when unknown or someone else's."""
        async with self.deps.sessions() as session:
            conv = await session.get(Conversation, conv_id)
        if conv is None or conv.visitor_id != visitor_id:
            raise ConsultError("not_found", "no such conversation", 404)
        return conv

    async def on_typing(self, sid: str, data: Any) -> None:
        p = parse(VisitorTyping, data)
        vid = await self._visitor_id(sid)
        async with self.deps.sessions() as session:
            conv = await conversations.open_conversation(session, vid)
        if conv is not None and conv.operator_id:
            await self.deps.notifier.emit(
                "typing",
                {"conversation_id": conv.id, "typing": p.typing},
                room=operator_room(conv.operator_id),
                namespace=OPERATOR_NS,
            )

    async def on_read(self, sid: str, data: Any) -> None:
        await self._receipt(sid, data, "read_at")

    async def on_delivered(self, sid: str, data: Any) -> None:
        await self._receipt(sid, data, "delivered_at")

    async def _receipt(self, sid: str, data: Any, field: str) -> None:
        p = parse(VisitorRead, data)
        vid = await self._visitor_id(sid)
        if p.conversation_id is not None:
            conv = await self._own_conversation(vid, p.conversation_id)
        else:
            async with self.deps.sessions() as session:
                conv = await conversations.open_conversation(session, vid)
        if conv is None:
            raise ConsultError("not_found", "no open conversation", 404)
        await conversations.mark(self.deps, conv, ("operator", "system"), field, p.up_to)

    async def on_page(self, sid: str, data: Any) -> None:
        p = parse(PageView, data)
        vid = await self._visitor_id(sid)
        async with self.deps.write() as session:
            _, view = await visitors.record_page(session, vid, p.url, p.title, self.deps.limits)
        if view is not None:
            await self._tell_operator(vid, visitors.page_dict(view))

    async def _tell_operator(self, visitor_id: int, page: dict[str, Any]) -> None:
        async with self.deps.sessions() as session:
            conv = await conversations.open_conversation(session, visitor_id)
        if conv is not None and conv.operator_id:
            await self.deps.notifier.emit(
                "page",
                {"conversation_id": conv.id, "visitor_id": visitor_id, **page},
                room=operator_room(conv.operator_id),
                namespace=OPERATOR_NS,
            )
