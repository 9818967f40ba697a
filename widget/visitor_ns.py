"""The widget's Socket.IO namespace (`/visitor`); see docs/protocol.md."""

from __future__ import annotations

from typing import Any

import socketio

from prilavok.consult import tasks
from prilavok.consult.chat import availability, conversations, visitor_messages
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.errors import ConsultError
from prilavok.consult.kernel.namespace import Handler, Namespace
from prilavok.consult.kernel.notifier import (
    VISITOR_NS,
    VISITORS_ROOM,
    visitor_room,
)
from prilavok.consult.kernel.payloads import (
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
from prilavok.consult.kernel.tokens import Signer
from prilavok.consult.proactive import decisions
from prilavok.consult.visitors import shopping, visits

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
        visitor_id = await visits.arrive(
            self.deps, claimed, locale, page.url, page.title, environ.get("HTTP_USER_AGENT")
        )
        await self._greet(sid, visitor_id, address)

    async def _greet(self, sid: str, visitor_id: int, address: str) -> None:
        """Joins the visitor's rooms and sends the state a widget (re)builds itself from."""
        await self.save_session(sid, {"visitor_id": visitor_id, "address": address})
        await self.enter_room(sid, visitor_room(visitor_id))
        await self.enter_room(sid, VISITORS_ROOM)
        state = await conversations.visitor_state(self.deps, visitor_id)
        async with self.deps.sessions() as session:
            about = await visits.summary(session, visitor_id, self.deps.limits)
        await self.emit(
            "session",
            {
                "token": self.signer.visitor_token(visitor_id),
                **about,
                **state,
                "rules": await decisions.enabled_rules(self.deps),
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
        session = await self.get_session(sid)  # once: the hottest event of all
        vid = int(session["visitor_id"])
        await self.deps.throttle.hit("visitor_messages", str(vid))
        return await visitor_messages.post_visitor_message(
            self.deps,
            vid,
            p.client_id,
            p.text,
            p.conversation_id,
            sid=sid,
            address=str(session["address"]),
        )

    async def on_typing(self, sid: str, data: Any) -> None:
        p = parse(VisitorTyping, data)
        await conversations.visitor_typing(self.deps, await self._visitor_id(sid), p.typing)

    async def on_read(self, sid: str, data: Any) -> None:
        await self._receipt(sid, data, "read_at")

    async def on_delivered(self, sid: str, data: Any) -> None:
        await self._receipt(sid, data, "delivered_at")

    async def _receipt(self, sid: str, data: Any, field: str) -> None:
        p = parse(VisitorRead, data)
        vid = await self._visitor_id(sid)
        await conversations.visitor_mark(self.deps, vid, p.conversation_id, field, p.up_to)

    async def on_page(self, sid: str, data: Any) -> None:
        p = parse(PageView, data)
        await visits.page(self.deps, await self._visitor_id(sid), p.url, p.title)

    async def on_identify(self, sid: str, data: Any) -> dict[str, Any]:
        p = parse(shopping.IdentityIn, data)
        vid = await self._visitor_id(sid)
        now_id, visitor = await shopping.identify_customer(self.deps, vid, p, self.shop_secret)
        if now_id != vid:
            # A signed identity of a known customer: carry on as them, history included (the
            # action carried the page over).
            await self.leave_room(sid, visitor_room(vid))
            await self._greet(sid, now_id, await self._address(sid))
        return {"visitor": visitor}

    async def on_cart(self, sid: str, data: Any) -> dict[str, Any]:
        p = parse(shopping.CartIn, data)
        vid = await self._visitor_id(sid)
        return {"cart": await shopping.set_cart(self.deps, vid, p)}

    async def on_purchase(self, sid: str, data: Any) -> dict[str, Any]:
        p = parse(shopping.PurchaseIn, data)
        vid = await self._visitor_id(sid)
        done = await shopping.purchase(self.deps, vid, p)
        return {"related": done["related"]}

    async def on_activity(self, sid: str, data: Any) -> None:
        p = parse(Activity, data)
        vid = await self._visitor_id(sid)
        await shopping.activity(self.deps, vid, p.idle_seconds, p.hidden, p.exit_intent)

    async def on_rule_fire(self, sid: str, data: Any) -> dict[str, Any]:
        p = parse(RuleFire, data)
        vid = await self._visitor_id(sid)
        return {"decision": await decisions.decide(self.deps, vid, p.rule_id)}

    async def on_accept(self, sid: str, data: Any) -> None:
        p = parse(InvitationRef, data)
        await decisions.respond(self.deps, await self._visitor_id(sid), p.invitation_id, "accepted")

    async def on_dismiss(self, sid: str, data: Any) -> None:
        p = parse(InvitationRef, data)
        vid = await self._visitor_id(sid)
        await decisions.respond(self.deps, vid, p.invitation_id, "dismissed")

    async def on_callback(self, sid: str, data: Any) -> dict[str, Any]:
        p = parse(CallbackRequest, data)
        vid = await self._visitor_id(sid)
        async with self.deps.sessions() as session:
            visit = await visits.current_visit(session, vid, self.deps.limits, start=False)
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
