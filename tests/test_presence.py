"""Presence is a connected console, read by every process and the CLI from the database."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from devkit.processes import ROOT, ServerProcess
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.notifier import RecordingNotifier
from prilavok.storage.db import create_engine, migrate, sessionmaker
from tests.clients import add_operator, cid, login, operator, visitor
from tests.conftest import reset_pg


def operator_list(env: dict[str, str]) -> dict[str, str]:
    """`prilavok operator list`, run as its own process: login → the presence column."""
    out = subprocess.run(
        [sys.executable, "-m", "prilavok.cli", "operator", "list"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    return {row[0]: f"{row[4]} {row[5]}" for row in rows}


async def listing(env: dict[str, str]) -> dict[str, str]:
    return await asyncio.to_thread(operator_list, env)


async def test_operator_list_and_routing_count_only_connected_consoles(
    pg_database: str, tmp_path: Path
) -> None:
    await reset_pg()
    engine = create_engine(pg_database)
    await migrate(engine)
    deps = Deps(sessionmaker(engine), RecordingNotifier())
    await add_operator(deps, "anna")
    await add_operator(deps, "boris")
    env = {
        "PRILAVOK_DATABASE_URL": pg_database,
        "PRILAVOK_DATA_DIR": str(tmp_path),
        "PRILAVOK_SECRET_KEY": "presence",
        "PRILAVOK_PRESENCE_TTL_SECONDS": "2",
        "PRILAVOK_HEARTBEAT_SECONDS": "0.5",
    }
    a = ServerProcess.prilavok(tmp_path / "a.log", env)
    b = ServerProcess.prilavok(tmp_path / "b.log", env)
    await a.start()
    await b.start()
    try:
        # Both are "online" by status, but nobody has opened a console.
        assert await listing(env) == {"anna": "offline consoles=0", "boris": "offline consoles=0"}

        console = await operator(a.url, await login(a.url, "anna"))
        assert await listing(env) == {"anna": "online consoles=1", "boris": "offline consoles=0"}
        await console.call("status", {"status": "away"})
        assert (await listing(env))["anna"] == "away consoles=1"
        await console.call("status", {"status": "online"})
        # A chat started on the other process goes to anna's console on A.
        v = await visitor(b.url)
        assert v.of("session")[0]["availability"]["state"] == "online"
        ack = await v.call("message", {"client_id": cid(), "text": "Есть кто?"})
        assert ack["conversation"]["status"] == "active"

        # A killed process cannot say goodbye: its console stops counting after the TTL.
        a.kill()
        await console.close()
        await asyncio.sleep(3)
        assert await listing(env) == {"anna": "offline consoles=0", "boris": "offline consoles=0"}
        # B's heartbeat notices, and its widgets are told nobody can answer now.
        gone = await v.wait_for("availability", lambda a: a["state"] == "offline")
        assert gone["reason"] == "nobody"
        v2 = await visitor(b.url)
        ack2 = await v2.call("message", {"client_id": cid(), "text": "А сейчас?"})
        assert ack2["conversation"]["status"] == "queued"

        # A clean close is seen at once.
        again = await operator(b.url, await login(b.url, "boris"))
        assert (await listing(env))["boris"] == "online consoles=1"
        await again.close()
        await asyncio.sleep(0.3)
        assert (await listing(env))["boris"] == "offline consoles=0"
        for c in (v, v2):
            await c.close()
    finally:
        a.stop()
        b.stop()
        await engine.dispose()
