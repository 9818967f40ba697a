"""What several `prilavok` commands share: reading a password, a database session."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from prilavok.settings import Settings
from prilavok.storage.db import create_engine, migrate, sessionmaker


def read_password(prompt: str = "Password: ") -> str:
    """From the terminal (asked twice) or the first line of stdin when piped."""
    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if getpass.getpass("Again: ") != first:
            raise SystemExit("passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


async def with_session(settings: Settings, work: Callable[[Any], Awaitable[None]]) -> None:
    engine = create_engine(settings.resolved_database_url())
    try:
        await migrate(engine)
        async with sessionmaker(engine).begin() as session:
            await work(session)
    finally:
        await engine.dispose()
