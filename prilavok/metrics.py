"""Prometheus metrics at /metrics: what this process relays and how fast it acknowledges, and
what the shared database says about queues, operators, invitations and deliveries.

Counters and the latency histogram are per process (Prometheus sums them over processes); the
database figures are the same on every process, so dashboards take `max` of them.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import socketio
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import func, select

from prilavok.consult.chat import presence, routing
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.notifier import OPERATOR_NS, VISITOR_NS
from prilavok.storage.models import Conversation, Delivery, Invitation, Operator, utcnow

SIDES = {VISITOR_NS: "visitor", OPERATOR_NS: "operator"}
# Messages a person typed; everything else (typing, pages, acks) is not "relayed".
RELAYED_EVENTS = {"message"}


class Metrics:
    def __init__(self) -> None:
        # A registry per app: tests run many apps in one process.
        self.registry = r = CollectorRegistry()
        self._event_children: dict[tuple[str, str], tuple[Any, Any]] = {}
        self.connections = Gauge(
            "prilavok_socket_connections", "Open Socket.IO connections", ["side"], registry=r
        )
        self.events = Counter(
            "prilavok_socket_events", "Socket.IO events handled", ["side", "event"], registry=r
        )
        self.relayed = Counter(
            "prilavok_messages_relayed", "Chat messages accepted", ["side"], registry=r
        )
        self.errors = Counter(
            "prilavok_socket_errors", "Events answered with an error", ["side", "code"], registry=r
        )
        self.ack_seconds = Histogram(
            "prilavok_ack_seconds",
            "From an event's arrival to its acknowledgement",
            ["side", "event"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=r,
        )
        self.redis_received = Counter(
            "prilavok_redis_messages_received",
            "Socket.IO messages this process received from other processes through Redis",
            registry=r,
        )
        self.http = Counter(
            "prilavok_http_responses", "HTTP responses by status class", ["status"], registry=r
        )
        self.rate_limited = Counter(
            "prilavok_rate_limited",
            "Requests and events refused as rate_limited",
            ["where"],
            registry=r,
        )
        self.queue_length = Gauge("prilavok_queue_length", "Chats waiting", registry=r)
        self.queue_wait = Gauge(
            "prilavok_queue_oldest_wait_seconds",
            "How long the first in the queue waits",
            registry=r,
        )
        self.active_chats = Gauge("prilavok_active_chats", "Chats with an operator", registry=r)
        self.operators_online = Gauge(
            "prilavok_operators_online", "Operators with a connected console", registry=r
        )
        self.free_places = Gauge(
            "prilavok_operator_free_places", "Chats online operators can still take", registry=r
        )
        self.invitations = Gauge(
            "prilavok_invitations", "Proactive invitations by outcome", ["status"], registry=r
        )
        self.deliveries = Gauge(
            "prilavok_deliveries",
            "Offer deliveries by state and channel",
            ["state", "channel"],
            registry=r,
        )
        self.worker_lag = Gauge(
            "prilavok_delivery_lag_seconds",
            "How late the oldest due delivery is (0 when the worker keeps up)",
            registry=r,
        )

    def instrument(self, sio: socketio.AsyncServer) -> None:
        """Wraps each namespace's event dispatch: counts, errors and acknowledgement time."""
        for name, namespace in sio.namespace_handlers.items():
            side = SIDES.get(name, name.strip("/") or "default")
            handlers = getattr(namespace, "handlers", None)
            known = set(handlers()) if callable(handlers) else set()
            namespace.trigger_event = self._timed(side, namespace.trigger_event, known)

    def _timed(
        self,
        side: str,
        trigger: Callable[..., Awaitable[Any]],
        known: set[str],
    ) -> Callable[..., Awaitable[Any]]:
        """`known`: the namespace's events; any other name a client sends is counted as
        "other", so that made-up names cannot grow the series (and memory) without end."""

        async def handle(event: str, *args: Any) -> Any:
            if event == "connect":
                result = await trigger(event, *args)
                if result is not False:
                    self.connections.labels(side).inc()
                return result
            if event == "disconnect":
                self.connections.labels(side).dec()
                return await trigger(event, *args)
            started = time.perf_counter()
            result = await trigger(event, *args)
            label = event if event in known else "other"
            timer, counter = self._children(side, label)
            timer.observe(time.perf_counter() - started)
            counter.inc()
            code = _error_code(result)
            if code:
                self.errors.labels(side, code).inc()
                if code == "rate_limited":
                    self.rate_limited.labels(f"socket:{side}").inc()
            elif event in RELAYED_EVENTS:
                self.relayed.labels(side).inc()
            return result

        return handle

    def _children(self, side: str, label: str) -> tuple[Any, Any]:
        """The event's timer and counter, looked up once: `labels()` takes a lock and checks
        its arguments on every call, and every relayed message would pay for that."""
        key = (side, label)
        found = self._event_children.get(key)
        if found is None:
            found = (self.ack_seconds.labels(side, label), self.events.labels(side, label))
            self._event_children[key] = found
        return found

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            self._count(exc.status)
            raise
        self._count(response.status)
        return response

    def _count(self, status: int) -> None:
        self.http.labels(f"{status // 100}xx").inc()
        if status == 429:
            self.rate_limited.labels("http").inc()

    async def refresh(self, deps: Deps) -> None:
        """The database's figures, read at scrape time."""
        now = utcnow()
        async with deps.sessions() as session:
            queued = await session.execute(
                select(func.count(), func.min(Conversation.queued_at)).where(
                    Conversation.status == "queued"
                )
            )
            count, oldest = queued.one()
            self.queue_length.set(count)
            self.queue_wait.set((now - oldest).total_seconds() if oldest else 0)
            loads = await routing.loads(session)
            self.active_chats.set(sum(loads.values()))
            online = await presence.reachable_ids(session, deps.limits)
            capacity = dict(
                (
                    await session.execute(
                        select(Operator.id, Operator.capacity).where(Operator.id.in_(online))
                    )
                ).all()
            )
            self.operators_online.set(len(online))
            self.free_places.set(sum(max(0, c - loads.get(i, 0)) for i, c in capacity.items()))
            self.invitations.clear()
            for status, n in await session.execute(
                select(Invitation.status, func.count()).group_by(Invitation.status)
            ):
                self.invitations.labels(status).set(n)
            self.deliveries.clear()
            for state, channel, n in await session.execute(
                select(Delivery.state, Delivery.channel, func.count()).group_by(
                    Delivery.state, Delivery.channel
                )
            ):
                self.deliveries.labels(state, channel or "none").set(n)
            due = await session.scalar(
                select(func.min(Delivery.not_before)).where(
                    Delivery.state == "scheduled", Delivery.not_before <= now
                )
            )
            lag = (now - due) if due else timedelta(0)
            self.worker_lag.set(max(0.0, lag.total_seconds()))

    def handler(self, deps: Deps, token: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def metrics(request: web.Request) -> web.Response:
            if token:
                given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
                if not hmac.compare_digest(given.encode(), token.encode()):
                    return web.json_response(
                        {"error": {"code": "unauthorized", "message": "metrics need the token"}},
                        status=401,
                    )
            await self.refresh(deps)
            return web.Response(
                body=generate_latest(self.registry),
                headers={"Content-Type": CONTENT_TYPE_LATEST},
            )

        return metrics


def _error_code(result: Any) -> str | None:
    if isinstance(result, dict):
        error = result.get("error")
        if isinstance(error, dict) and isinstance(error.get("code"), str):
            return error["code"][:40]
    return None
