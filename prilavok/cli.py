"""The `prilavok` command: serve, migrate, manage operators and hot replies."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select

from consult import hot_replies, operators
from consult.errors import ConsultError
from prilavok.settings import Settings
from storage.db import create_engine, migrate, sessionmaker
from storage.models import Operator


def read_password(prompt: str = "Password: ") -> str:
    """From the terminal (asked twice) or the first line of stdin when piped."""
    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if getpass.getpass("Again: ") != first:
            raise SystemExit("passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


async def _with_session(settings: Settings, work: Callable[[Any], Awaitable[None]]) -> None:
    engine = create_engine(settings.resolved_database_url())
    try:
        await migrate(engine)
        async with sessionmaker(engine).begin() as session:
            await work(session)
    finally:
        await engine.dispose()


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    from aiohttp import web

    from prilavok.app import create_app

    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Access lines for every socket.io poll would drown what matters.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    host, port = args.host or settings.host, args.port or settings.port
    print(f"Prilavok on http://{host}:{port}/  (sample shop /shop/, operator console /console)")
    print(f"Database: {settings.resolved_database_url()}")
    web.run_app(create_app(settings), host=host, port=port, print=None)


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    async def run() -> None:
        engine = create_engine(settings.resolved_database_url())
        await migrate(engine)
        await engine.dispose()

    asyncio.run(run())
    print("database is up to date")


def cmd_operator_add(settings: Settings, args: argparse.Namespace) -> None:
    password = read_password()

    async def work(session: Any) -> None:
        op = await operators.create(
            session,
            args.login,
            password,
            display_name=args.name,
            role=args.role,
            capacity=args.capacity or settings.default_capacity,
        )
        print(f"operator {op.login} ({op.display_name}, {op.role}, capacity {op.capacity}) added")

    asyncio.run(_with_session(settings, work))


def cmd_operator_set(settings: Settings, args: argparse.Namespace) -> None:
    password = read_password() if args.password else None

    async def work(session: Any) -> None:
        op = await session.scalar(select(Operator).where(Operator.login == args.login))
        if op is None:
            raise ConsultError("not_found", f"no operator {args.login!r}")
        if args.capacity is not None:
            if args.capacity < 1:
                raise ConsultError("invalid_payload", "capacity is at least 1")
            op.capacity = args.capacity
        if args.role:
            op.role = args.role
        if args.name:
            op.display_name = args.name
        if password is not None:
            if len(password) < operators.MIN_PASSWORD:
                raise ConsultError("weak_password", "a password has at least 8 characters")
            op.password_hash = await asyncio.to_thread(operators.hash_password, password)
            op.session_version += 1
        print(f"operator {op.login}: {op.display_name}, {op.role}, capacity {op.capacity}")

    asyncio.run(_with_session(settings, work))


def cmd_operator_list(settings: Settings, args: argparse.Namespace) -> None:
    async def work(session: Any) -> None:
        for op in await session.scalars(select(Operator).order_by(Operator.login)):
            print(f"{op.login}\t{op.display_name}\t{op.role}\tcapacity={op.capacity}\t{op.status}")

    asyncio.run(_with_session(settings, work))


def cmd_hot_reply_add(settings: Settings, args: argparse.Namespace) -> None:
    async def work(session: Any) -> None:
        owner = None
        if args.operator:
            owner = await session.scalar(select(Operator.id).where(Operator.login == args.operator))
            if owner is None:
                raise ConsultError("not_found", f"no operator {args.operator!r}")
        reply = await hot_replies.save(session, owner, args.shortcut, args.text)
        print(f"/{reply.shortcut} added ({'global' if owner is None else args.operator})")

    asyncio.run(_with_session(settings, work))


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

    op = sub.add_parser("operator", help="manage operators").add_subparsers(
        dest="action", required=True
    )
    add = op.add_parser("add", help="add an operator; the password is read from stdin")
    add.add_argument("login")
    add.add_argument("--name", help="name shown to visitors (default: the login)")
    add.add_argument("--role", choices=operators.ROLES, default="operator")
    add.add_argument("--capacity", type=int, help="chats at once (default 4)")
    add.set_defaults(func=cmd_operator_add)
    st = op.add_parser("set", help="change an operator")
    st.add_argument("login")
    st.add_argument("--name")
    st.add_argument("--role", choices=operators.ROLES)
    st.add_argument("--capacity", type=int)
    st.add_argument("--password", action="store_true", help="read a new password from stdin")
    st.set_defaults(func=cmd_operator_set)
    op.add_parser("list", help="list operators").set_defaults(func=cmd_operator_list)

    hr = sub.add_parser("hot-reply", help="manage hot replies").add_subparsers(
        dest="action", required=True
    )
    hadd = hr.add_parser("add", help="add a hot reply (global unless --operator)")
    hadd.add_argument("shortcut")
    hadd.add_argument("text")
    hadd.add_argument("--operator", help="the login whose own reply it is")
    hadd.set_defaults(func=cmd_hot_reply_add)
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        args.func(Settings(), args)
    except ConsultError as exc:
        raise SystemExit(f"error: {exc.message}") from None


if __name__ == "__main__":
    main()
