"""The app factory: storage, Socket.IO, the widget and console routes, wired together."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from prilavok import headers, health, log_filters, offers, openapi, realtime
from prilavok.bot import web as offers_web
from prilavok.bot.clock import Clock
from prilavok.consult.edges import admin_views, console_views
from prilavok.consult.edges.console_ns import ConsoleNamespace
from prilavok.consult.kernel import http_input
from prilavok.consult.kernel.addresses import ClientAddresses
from prilavok.consult.kernel.deps import Deps, Limits
from prilavok.consult.kernel.errors import ConsultError, RateLimited, one_line
from prilavok.consult.kernel.passwords import Passwords
from prilavok.consult.kernel.throttle import Throttle
from prilavok.consult.kernel.tokens import Signer
from prilavok.consult.team import operators
from prilavok.metrics import Metrics
from prilavok.realtime import SocketNotifier, create_server
from prilavok.settings import Settings
from prilavok.storage.db import create_engine, migrate, sessionmaker
from prilavok.widget import views as widget_views
from prilavok.widget.visitor_ns import VisitorNamespace

log = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
DEPS = web.AppKey("deps", Deps)
SOCKET_CLOSE_SECONDS = 3

# The largest Socket.IO packet accepted; engine.io closes a connection that sends more.
MAX_PAYLOAD = 256 * 1024


@web.middleware
async def errors(request: web.Request, handler):  # type: ignore[no-untyped-def]
    try:
        return await handler(request)
    except ConsultError as exc:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return web.json_response({"error": exc.as_dict()}, status=exc.http_status, headers=headers)
    except web.HTTPException:
        raise
    except Exception as exc:
        # The last resort, for a bug: one line in the log (what and where), not a traceback
        # per request, and the same error shape as every other answer.
        log.error("500 on %s %s: %s", request.method, request.path[:200], one_line(exc))
        error = {"code": "internal", "message": "internal error"}
        return web.json_response({"error": error}, status=500)


async def home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/shop/index.html")


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> web.Application:
    settings = settings or Settings()
    metrics = Metrics()
    app = web.Application(middlewares=[metrics.middleware, errors], client_max_size=1024 * 1024)
    app[SETTINGS] = settings
    headers.setup(app)
    log_filters.install()

    engine = create_engine(
        settings.resolved_database_url(), sqlite_synchronous=settings.sqlite_synchronous
    )
    sio = create_server(
        settings.redis_url,
        max_payload=MAX_PAYLOAD,
        channel=settings.redis_channel,
        routing=settings.redis_routing,
        host_ttl=settings.redis_host_ttl_seconds,
    )
    deps = Deps(
        sessions=sessionmaker(engine),
        notifier=SocketNotifier(sio),
        limits=Limits(
            max_message_length=settings.max_message_length,
            default_capacity=settings.default_capacity,
            visit_gap_seconds=settings.visit_gap_seconds,
            presence_ttl_seconds=settings.presence_ttl_seconds,
            session_idle_seconds=settings.operator_session_idle_minutes * 60,
        ),
        node_id=f"node-{uuid.uuid4().hex[:16]}",
        # With Redis, every process counts against the same limits.
        throttle=Throttle(
            settings.limit_rules(),
            redis_url=settings.redis_url,
            key_prefix=settings.redis_channel,
        ),
        addresses=ClientAddresses(settings.trusted_proxies.split(",")),
        passwords=Passwords(settings.password_hash_threads),
    )
    app[ENGINE], app[DEPS] = engine, deps
    signer = Signer(settings.resolved_secret_key())

    sio.register_namespace(VisitorNamespace(deps, signer, settings.shop_secret))
    sio.register_namespace(ConsoleNamespace(deps, settings.public_url))

    async def admit_socket(request: web.Request) -> None:
        # A handshake (no sid yet) opens a socket; later requests belong to one.
        if "sid" not in request.query:
            await deps.throttle.hit("address_sockets", deps.addresses.of_request(request))

    realtime.attach(sio, app, admit_socket)
    metrics.instrument(sio)
    realtime.count_received(sio, metrics.redis_received.inc)
    metrics_view = metrics.handler(deps, settings.metrics_token)
    if settings.metrics_token:
        app.router.add_get("/metrics", metrics_view)

    app.router.add_get("/", home)
    openapi.setup(app)
    widget_views.setup(app, settings.static_dir)
    console_views.setup(app, deps, signer, settings.static_dir, settings.session_cookie_secure)
    admin_views.setup(app, settings.static_dir)
    http_input.add_static(app.router, "/static/", settings.static_dir)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        if settings.auto_migrate:
            await migrate(engine)
        await operators.beat(deps)
        realtime.start_manager(sio)
        beating = asyncio.create_task(_heartbeat(deps, settings.heartbeat_seconds))
        yield
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating
        with contextlib.suppress(Exception):
            await operators.leave(deps)
        await realtime.close_manager(sio)
        deps.close()
        await deps.throttle.close()
        await engine.dispose()

    async def close_sockets(app: web.Application) -> None:
        # Open WebSockets would hold a stopping server for its whole grace period; closed,
        # clients reconnect at once, to this server's successor or another process.
        if sio.eio.sockets:  # engine.io's disconnect-all fails on an empty server
            # Bounded: a socket closing from the client side at the same moment can leave
            # engine.io waiting on it for good, and a stop must not hang.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sio.eio.disconnect(), SOCKET_CLOSE_SECONDS)

    app.cleanup_ctx.append(lifecycle)
    if settings.metrics_port:
        app.cleanup_ctx.append(
            serve_metrics_apart(metrics_view, settings.metrics_host, settings.metrics_port)
        )
    # After `lifecycle`: the worker starts once the schema is migrated and stops before the engine.
    offers_web.setup(
        app,
        offers.build(settings, deps, clock),
        static_dir=settings.static_dir,
        node_id=deps.node_id,
        run_worker=settings.offers_worker,
        sms_callback_secret=settings.sms_callback_secret,
    )
    if settings.widget_shop_id:
        app[DEPS].shop_feed = offers.widget_feed(app[offers_web.INTAKE], settings.widget_shop_id)
    health.setup(
        app,
        deps,
        redis_url=settings.redis_url,
        worker=lambda: app[offers_web.WORKER] if settings.offers_worker else None,
    )
    app.on_shutdown.append(close_sockets)
    return app


def serve_metrics_apart(
    view: Callable[[web.Request], Awaitable[web.Response]], host: str, port: int
) -> Callable[[web.Application], AsyncIterator[None]]:
    """/metrics on an address of its own (an internal interface), next to the public one."""

    async def run(app: web.Application) -> AsyncIterator[None]:
        side = web.Application()
        side.router.add_get("/metrics", view)
        runner = web.AppRunner(side, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        yield
        await runner.cleanup()

    return run


# Every connection keeps a few dozen tracked objects (tasks, coroutines, buffers), so a full
# collection over thousands of them stops the process for hundreds of milliseconds. Collecting
# the young generation less often lets per-message objects die by reference counting before
# they are promoted, so full collections (every 100 second-generation ones, at the earliest)
# come rarely. The defaults are (700, 10, 10).
GC_THRESHOLDS = (20_000, 20, 100)


async def settle_heap(app: web.Application) -> None:
    """For a serving process, once started (tests run many apps in one process and skip it)."""
    settle_heap_now()


def settle_heap_now() -> None:
    """What start-up made (modules, mappers, compiled queries) lives as long as the process;
    frozen, it is no longer scanned by every full collection, which stalls every chat at once.
    The benches call this too, so that they measure a process collecting as a server does."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


async def _heartbeat(deps: Deps, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await operators.beat(deps)
        except Exception:  # keep beating: a missed beat only delays presence
            log.exception("heartbeat failed")
