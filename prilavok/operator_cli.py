"""`prilavok operator …`: add, change, list, deactivate and activate operators."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from sqlalchemy import select

from prilavok.cli_support import read_password, with_session
from prilavok.consult.chat import presence
from prilavok.consult.kernel import audit
from prilavok.consult.kernel.deps import Limits
from prilavok.consult.kernel.errors import ConsultError
from prilavok.consult.kernel.passwords import Passwords
from prilavok.consult.team import accounts, operators
from prilavok.settings import Settings
from prilavok.storage.models import Operator


async def _by_login(session: Any, login: str) -> Operator:
    op = await session.scalar(select(Operator).where(Operator.login == login))
    if op is None:
        raise ConsultError("not_found", f"no operator {login!r}")
    return op


def cmd_operator_add(settings: Settings, args: argparse.Namespace) -> None:
    password = read_password()

    async def work(session: Any) -> None:
        passwords = Passwords()
        try:
            op = await operators.create(
                session,
                passwords,
                args.login,
                password,
                display_name=args.name,
                role=args.role,
                capacity=args.capacity or settings.default_capacity,
            )
        finally:
            passwords.close()
        print(f"operator {op.login} ({op.display_name}, {op.role}, capacity {op.capacity}) added")

    asyncio.run(with_session(settings, work))


def cmd_operator_set(settings: Settings, args: argparse.Namespace) -> None:
    password = read_password() if args.password else None

    async def work(session: Any) -> None:
        op = await _by_login(session, args.login)
        if args.capacity is not None:
            if args.capacity < 1:
                raise ConsultError("invalid_payload", "capacity is at least 1")
            op.capacity = args.capacity
        if args.role:
            op.role = args.role
        if args.name:
            op.display_name = args.name
        if password is not None:
            # Logs the operator out everywhere; running servers close the consoles at their
            # next heartbeat.
            passwords = Passwords()
            try:
                await operators.set_password(session, passwords, op, password)
            finally:
                passwords.close()
            audit.record(session, audit.CLI, "operator.password", f"operator:{op.login}")
        changed = ", ".join(
            f"{k}={v}"
            for k, v in (("capacity", args.capacity), ("role", args.role), ("name", args.name))
            if v is not None
        )
        if changed:
            audit.record(session, audit.CLI, "operator.change", f"operator:{op.login}", changed)
        print(f"operator {op.login}: {op.display_name}, {op.role}, capacity {op.capacity}")

    asyncio.run(with_session(settings, work))


def cmd_operator_list(settings: Settings, args: argparse.Namespace) -> None:
    """Presence is a connected console (on any living process), not the status last chosen."""
    limits = Limits(presence_ttl_seconds=settings.presence_ttl_seconds)

    async def work(session: Any) -> None:
        connected = await presence.consoles(session, limits)
        for op in await session.scalars(select(Operator).order_by(Operator.login)):
            n = connected.get(op.id, 0)
            state = "deactivated" if op.deactivated_at else presence.state(op, n > 0)
            print(
                f"{op.login}\t{op.display_name}\t{op.role}\tcapacity={op.capacity}"
                f"\t{state}\tconsoles={n}"
            )

    asyncio.run(with_session(settings, work))


def cmd_operator_deactivate(settings: Settings, args: argparse.Namespace) -> None:
    """In the database at once (sessions, presence, chats back in line); running servers close
    the consoles and hand the chats on at their next heartbeat."""

    async def work(session: Any) -> None:
        op = await _by_login(session, args.login)
        _, requeued = await accounts.deactivate_in(session, op, audit.CLI)
        print(f"operator {op.login} deactivated; {len(requeued)} chats back in the queue")

    asyncio.run(with_session(settings, work))


def cmd_operator_activate(settings: Settings, args: argparse.Namespace) -> None:
    async def work(session: Any) -> None:
        op = await _by_login(session, args.login)
        if op.deactivated_at is not None:
            op.deactivated_at = None
            audit.record(session, audit.CLI, "operator.activate", f"operator:{op.login}")
        print(f"operator {op.login} active")

    asyncio.run(with_session(settings, work))


def register(sub: Any) -> None:
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

    for verb, func, what in (
        ("deactivate", cmd_operator_deactivate, "end their sessions, requeue chats, refuse log-in"),
        ("activate", cmd_operator_activate, "let a deactivated operator log in again"),
    ):
        cmd = op.add_parser(verb, help=what)
        cmd.add_argument("login")
        cmd.set_defaults(func=func)
