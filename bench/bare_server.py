"""The bare python-socketio baseline: the same relay as Prilavok's, with no storage and no auth.

A visitor's `message` is acknowledged, echoed to the visitor's room but the sending connection
(Prilavok does that for the visitor's other tabs) and emitted to one operator, picked round-robin
on the visitor's first message. Same server settings as Prilavok's (aiohttp, uvloop, the orjson
codec, WebSocket compression declined, pings every 25 s) and the same payload shapes, so the
difference measured is what Prilavok does per message, not how its sockets are set up.

    python -m bench.bare_server --port 8091 --max-seconds 600
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
from datetime import UTC, datetime
from typing import Any

import socketio
import uvloop
from aiohttp import web

from prilavok import realtime
from prilavok.app import settle_heap


class Relay:
    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio
        self.operators: list[str] = []
        self.turn = itertools.count()
        self.ids = itertools.count(1)
        self.conversations = itertools.count(1)
        self.assigned: dict[str, tuple[str, int]] = {}

    def register(self) -> None:
        self.sio.on("connect", self.operator_connect, namespace="/operator")
        self.sio.on("disconnect", self.operator_disconnect, namespace="/operator")
        self.sio.on("connect", self.visitor_connect, namespace="/visitor")
        self.sio.on("disconnect", self.visitor_disconnect, namespace="/visitor")
        self.sio.on("message", self.visitor_message, namespace="/visitor")

    async def operator_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        self.operators.append(sid)
        await self.sio.emit(
            "init", {"operator": {"id": len(self.operators)}}, to=sid, namespace="/operator"
        )

    async def operator_disconnect(self, sid: str, reason: Any = None) -> None:
        if sid in self.operators:
            self.operators.remove(sid)

    async def visitor_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        await self.sio.enter_room(sid, f"visitor:{sid}", namespace="/visitor")
        session = {"token": sid, "visitor": {"id": sid}, "conversation": None, "messages": []}
        await self.sio.emit("session", session, to=sid, namespace="/visitor")

    async def visitor_disconnect(self, sid: str, reason: Any = None) -> None:
        self.assigned.pop(sid, None)

    async def visitor_message(self, sid: str, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            return {"ok": False, "error": {"code": "invalid_payload", "message": "bad message"}}
        if sid not in self.assigned and self.operators:
            operator = self.operators[next(self.turn) % len(self.operators)]
            self.assigned[sid] = (operator, next(self.conversations))
        operator, conversation_id = self.assigned.get(sid, ("", 0))
        message = {
            "id": next(self.ids),
            "conversation_id": conversation_id,
            "author": "visitor",
            "author_name": None,
            "text": data["text"].strip(),
            "client_id": data.get("client_id"),
            "created_at": datetime.now(UTC).isoformat(),
            "delivered_at": None,
            "read_at": None,
        }
        await self.sio.emit(
            "message", message, room=f"visitor:{sid}", skip_sid=sid, namespace="/visitor"
        )
        if operator:
            await self.sio.emit("message", message, to=operator, namespace="/operator")
        return {
            "ok": True,
            "message": message,
            "conversation": {"id": conversation_id, "status": "active"},
        }


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def create_app() -> web.Application:
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        cors_allowed_origins="*",
        ping_interval=25,
        ping_timeout=20,
        max_http_buffer_size=256 * 1024,
        json=realtime.FastJson,
    )
    Relay(sio).register()
    app = web.Application()
    realtime.attach(sio, app)
    app.router.add_get("/healthz", healthz)
    return app


async def serve(port: int, max_seconds: float, gc_tuned: bool) -> None:
    app = create_app()
    if gc_tuned:
        # Prilavok's own collector settings (prilavok.app.settle_heap), to tell how much of a
        # difference in p99 is the collector's.
        app.on_startup.append(settle_heap)
    runner = web.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await asyncio.sleep(max_seconds)  # stops by itself
    finally:
        await runner.cleanup()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, default=8091)
    p.add_argument("--max-seconds", type=float, default=600)
    args = p.parse_args()
    # Off by default: the baseline is python-socketio as it comes, collector included.
    gc_tuned = os.environ.get("PRILAVOK_BENCH_BARE_GC") == "tuned"
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(serve(args.port, args.max_seconds, gc_tuned))


if __name__ == "__main__":
    main()
