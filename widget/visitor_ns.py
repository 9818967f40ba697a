"""The widget's Socket.IO namespace (`/visitor`); see docs/protocol.md."""

from __future__ import annotations

from typing import Any

import socketio

from prilavok.consult import (
    availability,
    conversations,
    proactive,
    shopping,
    tasks,
    visitor_messages,
    visitors,
)
from prilavok.consult.deps import Deps
from prilavok.consult.errors import ConsultError
from prilavok.consult.namespace import Handler, Namespace
from prilavok.consult.notifier import (
    OPERATOR_NS,
    VISITOR_NS,
    VISITORS_ROOM,
    operator_room,
    visitor_room,
)
from prilavok.consult.payloads import (
    Activity,
    CallbackRequest,
    InvitationRef,
    PageView,
    Rate,
    RuleFire,
    VisitorMessage,
    VisitorRead,
    VisitorTyping,
    parse,
)
from prilavok.consult.tokens import Signer
from prilavok.storage.models import Conversation

LOCALES = ("ru", "en")


class VisitorNamespace(Namespace):
    def __init__(self, deps: Deps, signer: Signer, shop_secret: str = "") -> None:
        super().__init__(VISITOR_NS)
        self.deps = deps
        self.signer = signer
        self.shop_secret = shop_secret

    def handlers(self) -> dict[str, Handler]:
        return {
            "message": self.on_message,
            "typing": self.on_typing,
            "read": self.on_read,
            "delivered": self.on_delivered,
            "page": self.on_page,
            "identify": self.on_identify,
            "cart": self.on_cart,
            "purchase": self.on_purchase,
            "activity": self.on_activity,
            "rule.fire": self.on_rule_fire,
            "invitation.accept": self.on_accept,
            "invitation.dismiss": self.on_dismiss,
            "callback": self.on_callback,
            "rate": self.on_rate,
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
        address = self.deps.addresses.of_environ(environ)
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
            visitor_id = visitor.id
        await self._greet(sid, visitor_id, address)
        if view is not None:
            await self._tell_operator(visitor_id, visitors.page_dict(view))

    async def _greet(self, sid: str, visitor_id: int, address: str) -> None:
        """Joins the visitor's rooms and sends the state a widget (re)builds itself from."""
        await self.save_session(sid, {"visitor_id": visitor_id, "address": address})
        await self.enter_room(sid, visitor_room(visitor_id))
        await self.enter_room(sid, VISITORS_ROOM)
        state = await conversations.visitor_state(self.deps, visitor_id)
        async with self.deps.sessions() as session:
            about = await visitors.summary(session, visitor_id, self.deps.limits)
        await self.emit(
            "session",
            {
                "token": self.signer.visitor_token(visitor_id),
                **about,
                **state,
                "rules": await proactive.enabled_rules(self.deps),
                "availability": await availability.current(self.deps),
            },
            to=sid,
        )

    async def _visitor_id(self, sid: str) -> int:
        return int((await self.get_session(sid))["visitor_id"])

    async def _address(self, sid: str) -> str:
        return str((await self.get_session(sid))["address"])

    async def on_message(self, sid: str, data: Any) -> dict[str, Any]:
        p = parse(VisitorMessage, data)
        vid = await self._visitor_id(sid)
        await self.deps.throttle.hit("visitor_messages", str(vid))
        return await visitor_messages.post_visitor_message(
            self.deps,
            vid,
            p.client_id,
            p.text,
            p.conversation_id,
            sid=sid,
            address=await self._address(sid),
        )

    async def _own_conversation(self, visitor_id: int, conv_id: int) -> Conversation:
        return await conversations.own_conversation(self.deps, visitor_id, conv_id)

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

    async def _tell_operator(
        self, visitor_id: int, page: dict[str, Any], event: str = "page"
    ) -> None:
        """Live context for the operator of the visitor's open chat, if there is one."""
        async with self.deps.sessions() as session:
            conv = await conversations.open_conversation(session, visitor_id)
        if conv is not None and conv.operator_id:
            await self.deps.notifier.emit(
                event,
                {"conversation_id": conv.id, "visitor_id": visitor_id, **page},
                room=operator_room(conv.operator_id),
                namespace=OPERATOR_NS,
            )

    async def on_identify(self, sid: str, data: Any) -> dict[str, Any]:
        p = parse(shopping.IdentityIn, data)
        vid = await self._visitor_id(sid)
        now_id, visitor = await shopping.identify(self.deps, vid, p, self.shop_secret)
        if now_id != vid:
            # A signed identity of a known customer: carry on as them, history included.
            await self.leave_room(sid, visitor_room(vid))
            async with self.deps.write() as session:
                visit = await visitors.current_visit(session, vid, self.deps.limits)
                if visit is not None and visit.current_url:
                    await visitors.record_page(
                        session,
                        now_id,
                        visit.current_url,
                        visit.current_title or "",
                        self.deps.limits,
                    )
            await self._greet(sid, now_id, await self._address(sid))
        return {"visitor": visitor}

    async def on_cart(self, sid: str, data: Any) -> dict[str, Any]:
        p = parse(shopping.CartIn, data)
        vid = await self._visitor_id(sid)
        cart = await shopping.set_cart(self.deps, vid, p)
        await self._tell_operator(vid, {"cart": cart}, "cart")
        return {"cart": cart}

    async def on_purchase(self, sid: str, data: Any) -> dict[str, Any]:
        p = parse(shopping.PurchaseIn, data)
        vid = await self._visitor_id(sid)
        done = await shopping.purchase(self.deps, vid, p)
        await self._tell_operator(
            vid, {"order_id": done["order_id"], "total": done["total"]}, "purchase"
        )
        return {"related": done["related"]}

    async def on_activity(self, sid: str, data: Any) -> None:
        p = parse(Activity, data)
        vid = await self._visitor_id(sid)
        state = await shopping.activity(self.deps, vid, p.idle_seconds, p.hidden, p.exit_intent)
        await self._tell_operator(vid, state, "activity")

    async def on_rule_fire(self, sid: str, data: Any) -> dict[str, Any]:
        p = parse(RuleFire, data)
        vid = await self._visitor_id(sid)
        return {"decision": await proactive.decide(self.deps, vid, p.rule_id)}

    async def on_accept(self, sid: str, data: Any) -> None:
        p = parse(InvitationRef, data)
        await proactive.respond(self.deps, await self._visitor_id(sid), p.invitation_id, "accepted")

    async def on_dismiss(self, sid: str, data: Any) -> None:
        p = parse(InvitationRef, data)
        vid = await self._visitor_id(sid)
        await proactive.respond(self.deps, vid, p.invitation_id, "dismissed")

    async def on_callback(self, sid: str, data: Any) -> dict[str, Any]:
        p = parse(CallbackRequest, data)
        vid = await self._visitor_id(sid)
        async with self.deps.sessions() as session:
            visit = await visitors.current_visit(session, vid, self.deps.limits, start=False)
        task = await tasks.create(
            self.deps,
            tasks.NewTask(
                kind=p.kind,
                source="widget",
                name=p.name,
                phone=p.phone,
                preferred_time=p.preferred_time,
                text=p.text,
                page_url=visit.current_url if visit else None,
                visitor_id=vid,
                address=await self._address(sid),
            ),
        )
        return {"task_id": task["id"]}

    async def on_rate(self, sid: str, data: Any) -> None:
        p = parse(Rate, data)
        vid = await self._visitor_id(sid)
        await conversations.rate(self.deps, vid, p.conversation_id, p.score, p.comment)
