"""The `prilavok` command: serve, migrate, manage operators and hot replies."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from prilavok import logs, operator_cli, startup_errors
from prilavok.cli_support import with_session
from prilavok.consult.kernel import audit
from prilavok.consult.kernel.errors import ConsultError
from prilavok.consult.team import hot_replies
from prilavok.settings import Settings
from prilavok.storage.db import create_engine, migrate, sessionmaker
from prilavok.storage.models import HotReply, Operator


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    from aiohttp import web

    from prilavok.app import create_app, settle_heap

    logs.configure(settings.log_level, settings.log_format)
    host, port = args.host or settings.host, args.port or settings.port
    print(f"Prilavok on http://{host}:{port}/  (sample shop /shop/, operator console /console)")
    print(f"Database: {startup_errors.safe_url(settings.resolved_database_url())}")
    if settings.redis_url:
        _check_redis(settings.redis_url)
    app = create_app(settings)
    app.on_startup.append(settle_heap)  # after create_app's own start-up steps
    web.run_app(app, host=host, port=port, print=None, loop=event_loop())


def _check_redis(url: str) -> None:
    """Socket.IO's Redis manager retries quietly forever: a wrong address would leave a server
    that answers but never reaches operators on other processes. Say so at start instead."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except (redis.RedisError, ValueError) as exc:
        raise SystemExit(
            f"error: cannot reach Redis at {startup_errors.safe_url(url)}: {exc}; "
            "is it running? (PRILAVOK_REDIS_URL)"
        ) from None


def event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where it is installed (Linux, macOS): its socket I/O costs a fraction of
    asyncio's, which is most of what relaying a message costs."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    async def run() -> None:
        engine = create_engine(settings.resolved_database_url())
        await migrate(engine)
        await engine.dispose()

    asyncio.run(run())
    print("database is up to date")


def cmd_hot_reply_add(settings: Settings, args: argparse.Namespace) -> None:
    async def work(session: Any) -> None:
        owner = None
        if args.operator:
            owner = await session.scalar(select(Operator.id).where(Operator.login == args.operator))
            if owner is None:
                raise ConsultError("not_found", f"no operator {args.operator!r}")
        reply = await hot_replies.save(session, owner, args.shortcut, args.text)
        print(f"/{reply.shortcut} added ({'global' if owner is None else args.operator})")

    asyncio.run(with_session(settings, work))


def cmd_hot_reply_list(settings: Settings, args: argparse.Namespace) -> None:
    async def work(session: Any) -> None:
        rows = await session.execute(
            select(HotReply, Operator.login)
            .outerjoin(Operator, Operator.id == HotReply.operator_id)
            .order_by(HotReply.operator_id.is_not(None), Operator.login, HotReply.shortcut)
        )
        for reply, login in rows.all():
            text = reply.text if len(reply.text) <= 60 else reply.text[:59] + "…"
            print(f"{reply.id}\t/{reply.shortcut}\t{login or 'global'}\t{text}")

    asyncio.run(with_session(settings, work))


def cmd_hot_reply_remove(settings: Settings, args: argparse.Namespace) -> None:
    async def work(session: Any) -> None:
        shortcut = args.shortcut.strip().lstrip("/").lower()
        owner = None
        if args.operator:
            owner = await session.scalar(select(Operator.id).where(Operator.login == args.operator))
            if owner is None:
                raise ConsultError("not_found", f"no operator {args.operator!r}")
        reply = await session.scalar(
            select(HotReply).where(
                HotReply.shortcut == shortcut,
                HotReply.operator_id.is_(None) if owner is None else HotReply.operator_id == owner,
            )
        )
        if reply is None:
            raise ConsultError("not_found", f"no hot reply /{shortcut}")
        await hot_replies.delete(session, owner, reply.id)
        audit.record(session, audit.CLI, "hot_reply.delete", f"hot_reply:{reply.id}", shortcut)
        print(f"/{shortcut} removed")

    asyncio.run(with_session(settings, work))


def _offers(settings: Settings, work: Callable[[Any], Awaitable[None]]) -> None:
    """Runs `work` with the offers context (transports opened), as the server would have it."""
    from prilavok import offers
    from prilavok.bot.context import Offers
    from prilavok.consult.kernel.deps import Deps
    from prilavok.consult.kernel.notifier import RecordingNotifier

    async def run() -> None:
        engine = create_engine(settings.resolved_database_url())
        ctx: Offers | None = None
        try:
            await migrate(engine)
            deps = Deps(sessions=sessionmaker(engine), notifier=RecordingNotifier())
            ctx = offers.build(settings, deps)
            for channel in ctx.channels:
                await channel.transport.open()
            await work(ctx)
        finally:
            if ctx is not None:
                for channel in ctx.channels:
                    await channel.transport.close()
            await engine.dispose()

    asyncio.run(run())


def cmd_api_key_create(settings: Settings, args: argparse.Namespace) -> None:
    from prilavok.bot import api_keys

    async def work(ctx: Any) -> None:
        key = await api_keys.create(ctx.deps, args.shop, args.name or "")
        print(f"API key for shop {args.shop!r} (shown once, keep it secret):\n{key}")

    _offers(settings, work)


def cmd_api_key_list(settings: Settings, args: argparse.Namespace) -> None:
    from prilavok.bot import api_keys

    async def work(ctx: Any) -> None:
        for k in await api_keys.listing(ctx.deps, args.shop):
            state = f"revoked {k['revoked_at'][:16]}" if k["revoked_at"] else "live"
            used = (k["last_used_at"] or "never")[:16]
            print(f"{k['id']}\t{k['shop_id']}\t{k['prefix']}…\t{k['name'] or '-'}\t"
                  f"created {k['created_at'][:16]}\tused {used}\t{state}")  # fmt: skip

    _offers(settings, work)


def cmd_api_key_revoke(settings: Settings, args: argparse.Namespace) -> None:
    from prilavok.bot import api_keys

    async def work(ctx: Any) -> None:
        k = await api_keys.revoke(ctx.deps, args.id)
        print(f"key {k['id']} ({k['prefix']}…) of shop {k['shop_id']!r} revoked")

    _offers(settings, work)


def cmd_customers_import(settings: Settings, args: argparse.Namespace) -> None:
    from prilavok.bot import customer_csv, customers

    if args.file == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = Path(args.file).read_bytes()
        except OSError as exc:
            raise SystemExit(f"error: cannot read {args.file}: {exc.strerror}") from None
    rows = customer_csv.parse(customer_csv.decode(data))
    # Every row is checked before anything is saved; all bad lines are named at once.
    items, bad = [], []
    for line, row in rows:
        try:
            items.extend(customers.parse_batch(args.shop, [row]))
        except ConsultError as exc:
            bad.append(exc.message.replace("customers[0].", "").replace("customers[0]", "row"))
            bad[-1] = f"line {line}: {bad[-1]}"
    if bad:
        more = f" (and {len(bad) - 10} more)" if len(bad) > 10 else ""
        raise SystemExit("error: nothing imported; " + "; ".join(bad[:10]) + more)

    async def work(ctx: Any) -> None:
        saved, step = 0, customers.MAX_BATCH
        for start in range(0, len(items), step):
            saved += len(await customers.upsert(ctx, args.shop, items[start : start + step]))
        print(f"{saved} customers imported into shop {args.shop!r}")

    _offers(settings, work)


def cmd_bot_poll(settings: Settings, args: argparse.Namespace) -> None:
    """Long polling for local use: no public address needed."""
    from prilavok.bot.telegram_bot import build_dispatcher

    async def work(ctx: Any) -> None:
        if ctx.telegram is None:
            raise ConsultError("not_configured", "set PRILAVOK_TELEGRAM_TOKEN")
        await ctx.telegram.bot.delete_webhook()
        print("polling Telegram; Ctrl+C stops")
        await build_dispatcher(ctx).start_polling(ctx.telegram.bot, handle_signals=False)

    _offers(settings, work)


def cmd_bot_webhooks(settings: Settings, args: argparse.Namespace) -> None:
    """Registers our webhooks with Telegram (with the secret) and Viber."""
    from prilavok.bot.web import TELEGRAM_WEBHOOK, VIBER_WEBHOOK

    base = (settings.public_url or "").rstrip("/")
    if not base.startswith("https://"):
        raise ConsultError("not_configured", "set PRILAVOK_PUBLIC_URL to the https:// address")

    async def work(ctx: Any) -> None:
        if ctx.telegram is not None:
            if not settings.telegram_webhook_secret:
                raise ConsultError("not_configured", "set PRILAVOK_TELEGRAM_WEBHOOK_SECRET")
            await ctx.telegram.bot.set_webhook(
                base + TELEGRAM_WEBHOOK,
                secret_token=settings.telegram_webhook_secret,
                allowed_updates=["message", "callback_query"],
            )
            print(f"telegram webhook: {base + TELEGRAM_WEBHOOK}")
        if ctx.viber is not None:
            await ctx.viber.set_webhook(base + VIBER_WEBHOOK)
            print(f"viber webhook: {base + VIBER_WEBHOOK}")

    _offers(settings, work)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="prilavok", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="run the service")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(
        func=cmd_migrate
    )

    operator_cli.register(sub)

    hr = sub.add_parser("hot-reply", help="manage hot replies").add_subparsers(
        dest="action", required=True
    )
    hadd = hr.add_parser("add", help="add a hot reply (global unless --operator)")
    hadd.add_argument("shortcut")
    hadd.add_argument("text")
    hadd.add_argument("--operator", help="the login whose own reply it is")
    hadd.set_defaults(func=cmd_hot_reply_add)
    hr.add_parser("list", help="list hot replies").set_defaults(func=cmd_hot_reply_list)
    hrm = hr.add_parser("remove", help="remove a hot reply (global unless --operator)")
    hrm.add_argument("shortcut")
    hrm.add_argument("--operator", help="the login whose own reply it is")
    hrm.set_defaults(func=cmd_hot_reply_remove)

    ak = sub.add_parser("api-key", help="offers API keys").add_subparsers(
        dest="action", required=True
    )
    akc = ak.add_parser("create", help="create a key for a shop and print it once")
    akc.add_argument("shop")
    akc.add_argument("--name", help="what the key is for, e.g. '1C exchange'")
    akc.set_defaults(func=cmd_api_key_create)
    akl = ak.add_parser("list", help="list keys: prefix, name, created, last used, revoked")
    akl.add_argument("--shop")
    akl.set_defaults(func=cmd_api_key_list)
    akr = ak.add_parser("revoke", help="revoke a key by its id (see list)")
    akr.add_argument("id", type=int)
    akr.set_defaults(func=cmd_api_key_revoke)

    cu = sub.add_parser("customers", help="offer customers").add_subparsers(
        dest="action", required=True
    )
    imp = cu.add_parser(
        "import", help="import a CSV: name,phone,timezone,telegram,viber,sms (consent yes/no)"
    )
    imp.add_argument("file", help="the CSV file, or - for stdin")
    imp.add_argument("--shop", required=True, help="the shop id")
    imp.set_defaults(func=cmd_customers_import)

    bt = sub.add_parser("bot", help="the Telegram and Viber bots").add_subparsers(
        dest="action", required=True
    )
    bt.add_parser("poll", help="run the Telegram bot by long polling").set_defaults(
        func=cmd_bot_poll
    )
    bt.add_parser(
        "webhooks", help="register the Telegram and Viber webhooks at PRILAVOK_PUBLIC_URL"
    ).set_defaults(func=cmd_bot_webhooks)
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        raise SystemExit(f"error: {startup_errors.settings_error(exc)}") from None
    try:
        args.func(settings, args)
    except ConsultError as exc:
        raise SystemExit(f"error: {exc.message}") from None
    except Exception as exc:
        line = startup_errors.describe(
            exc,
            database_url=settings.resolved_database_url(),
            host=getattr(args, "host", None) or settings.host,
            port=getattr(args, "port", None) or settings.port,
        )
        if line is None:
            raise
        raise SystemExit(f"error: {line}") from None


if __name__ == "__main__":
    main()
