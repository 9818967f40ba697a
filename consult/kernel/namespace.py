"""A Socket.IO namespace base: one place that turns domain errors into acks and error events."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import socketio

from prilavok.consult.kernel.errors import ConsultError, one_line
from prilavok.consult.kernel.http_input import check_tree

log = logging.getLogger(__name__)

Handler = Callable[[str, Any], Awaitable[dict[str, Any] | None]]
LIFECYCLE = ("connect", "disconnect")
# The event name a packet gets when its payload could not be read (prilavok.realtime).
MALFORMED = "prilavok:malformed"


class Namespace(socketio.AsyncNamespace):
    """Routes events through `handlers()`; a failure answers `{ok: false, error}` in the ack and
    also as an `error` event, since a sender may have asked for no ack."""

    _handlers: dict[str, Handler] | None = None

    def handlers(self) -> dict[str, Handler]:
        raise NotImplementedError

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event == "connect" and len(args) > 2:
            try:
                check_tree(args[2], "auth")
            except ConsultError as exc:
                # The JS client sees err.message and err.data = {code}.
                raise socketio.exceptions.ConnectionRefusedError(
                    exc.message, exc.as_dict()
                ) from None
        if event in LIFECYCLE:
            return await super().trigger_event(event, *args)
        sid = args[0]
        if self._handlers is None:
            self._handlers = self.handlers()
        handler = self._handlers.get(event)
        try:
            if event == MALFORMED:
                log.warning(
                    "refused a packet on %s: %s", self.namespace, args[1] if args[1:] else ""
                )
                raise ConsultError("invalid_payload", str(args[1]) if args[1:] else "malformed")
            if handler is None:
                raise ConsultError("unknown_event", f"no such event: {event!r}")
            if len(args) != 2:
                raise ConsultError("invalid_payload", "an event carries exactly one object")
            check_tree(args[1])
            result = await handler(sid, args[1])
        except ConsultError as exc:
            return await self._fail(sid, event, exc)
        except Exception as exc:  # a bug: one line (what and where), not a traceback
            log.error("event %s on %s failed: %s", event[:64], self.namespace, one_line(exc))
            return await self._fail(sid, event, ConsultError("internal", "internal error"))
        return {"ok": True, **(result or {})}

    async def _fail(self, sid: str, event: str, exc: ConsultError) -> dict[str, Any]:
        error = exc.as_dict()
        await self.emit("error", {**error, "event": event}, to=sid)
        return {"ok": False, "error": error}
