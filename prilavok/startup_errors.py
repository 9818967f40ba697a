"""Configuration mistakes as one line each, with the fix where there is an obvious one, instead
of a traceback of 20-170 lines."""

from __future__ import annotations

import errno
import socket

from pydantic import ValidationError
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url


def safe_url(url: str) -> str:
    """A database or Redis address for logs and messages: the password never shows."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except sa_exc.ArgumentError:
        return "<unparsable address>"


def settings_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        name = "PRILAVOK_" + "_".join(str(p) for p in err["loc"]).upper()
        parts.append(f"{name}={err.get('input')!r}: {err['msg']}")
    return "bad setting " + "; ".join(parts)


def describe(exc: BaseException, *, database_url: str, host: str, port: int) -> str | None:
    """One line for a mistake an operator can fix, or None for a real bug (keep its traceback)."""
    if isinstance(exc, ValidationError):
        return settings_error(exc)
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is in use; stop what uses it or set PRILAVOK_PORT / --port"
    if isinstance(exc, OSError) and exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {host}: no such address here; set PRILAVOK_HOST / --host"
    if isinstance(exc, sa_exc.NoSuchModuleError | sa_exc.ArgumentError):
        return (
            f"PRILAVOK_DATABASE_URL={safe_url(database_url)!r} is not a database address we "
            "know; use sqlite+aiosqlite:///path/to/file.db or "
            "postgresql+asyncpg://user:password@host:5432/name"
        )
    db = safe_url(database_url)
    if isinstance(exc, sa_exc.DBAPIError | ConnectionError | socket.gaierror | TimeoutError):
        cause = _short(exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc)
        fix = "create it first" if "does not exist" in cause else "is it running and reachable?"
        return f"cannot use the database {db}: {cause}; {fix}"
    if isinstance(exc, OSError) and "connect" in str(exc).lower():
        return f"cannot reach the database {db}: {_short(exc)}; is it running?"
    if type(exc).__module__.startswith("asyncpg"):
        return f"the database {db} refused: {_short(exc)}"
    return None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]
