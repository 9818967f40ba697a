"""`prilavok operator add` / `operator set --password`: a new password ends every session."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import func, select

from prilavok import cli
from prilavok.consult.kernel import audit, logins
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.errors import ConsultError
from prilavok.consult.kernel.notifier import RecordingNotifier
from prilavok.consult.kernel.passwords import verify_password
from prilavok.consult.team import operators
from prilavok.storage.db import create_engine, sessionmaker
from prilavok.storage.models import Operator, OperatorSession

T = TypeVar("T")


def _in_db(url: str, work: Callable[[Deps], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = create_engine(url)
        deps = Deps(sessions=sessionmaker(engine), notifier=RecordingNotifier())
        try:
            return await work(deps)
        finally:
            deps.close()
            await engine.dispose()

    return asyncio.run(run())


def test_a_new_password_from_the_cli_logs_the_operator_out_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("PRILAVOK_DATABASE_URL", url)
    monkeypatch.setenv("PRILAVOK_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO("first password 1\n"))
    cli.main(["operator", "add", "anna"])

    async def two_logins(deps: Deps) -> list[str]:
        op_id = await _anna_id(deps)
        return [await logins.start(deps, op_id) for _ in range(2)]

    tokens = _in_db(url, two_logins)
    monkeypatch.setattr("sys.stdin", io.StringIO("second password 2\n"))
    cli.main(["operator", "set", "anna", "--password"])

    async def after(deps: Deps) -> tuple[int, str, list[object]]:
        async with deps.sessions() as session:
            left = await session.scalar(select(func.count()).select_from(OperatorSession))
            pw = await session.scalar(select(Operator.password_hash))
        found = [await logins.operator(deps, logins.session_key(t)) for t in tokens]
        return int(left or 0), str(pw), found

    left, password_hash, found = _in_db(url, after)
    assert left == 0 and found == [None, None]
    assert verify_password(password_hash, "second password 2")

    async def entries(deps: Deps) -> list[tuple[str, str, str]]:
        async with deps.sessions() as session:
            return [(e["actor"], e["action"], e["target"]) for e in await audit.latest(session)]

    assert _in_db(url, entries) == [("cli", "operator.password", "operator:anna")]


async def _anna_id(deps: Deps) -> int:
    async with deps.sessions() as session:
        op_id = await session.scalar(select(Operator.id).where(Operator.login == "anna"))
    assert op_id is not None
    return int(op_id)


def test_deactivate_and_activate_from_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("PRILAVOK_DATABASE_URL", url)
    monkeypatch.setenv("PRILAVOK_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO("first password 1\n"))
    cli.main(["operator", "add", "anna"])

    async def one_login(deps: Deps) -> str:
        return await logins.start(deps, await _anna_id(deps))

    token = _in_db(url, one_login)
    cli.main(["operator", "deactivate", "anna"])

    async def refused(deps: Deps) -> tuple[object, str]:
        found = await logins.operator(deps, logins.session_key(token))
        try:
            await operators.authenticate(deps, "anna", "first password 1")
        except ConsultError as exc:
            return found, exc.code
        return found, "let in"

    assert _in_db(url, refused) == (None, "deactivated")
    cli.main(["operator", "list"])
    assert "\tdeactivated\t" in capsys.readouterr().out
    cli.main(["operator", "activate", "anna"])

    async def let_in(deps: Deps) -> tuple[bool, list[tuple[str, str]]]:
        op = await operators.authenticate(deps, "anna", "first password 1")
        async with deps.sessions() as session:
            entries = await audit.latest(session)
        return op is not None, [(e["actor"], e["action"]) for e in entries]

    assert _in_db(url, let_in) == (
        True,
        [("cli", "operator.activate"), ("cli", "operator.deactivate")],
    )
    with pytest.raises(SystemExit, match="no operator 'nobody'"):
        cli.main(["operator", "deactivate", "nobody"])
