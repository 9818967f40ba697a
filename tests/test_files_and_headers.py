"""Files private from their creation, security headers on staff pages, the cookie's Secure flag,
and the SQLite durability setting."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text

from devkit.ports import free_port
from prilavok.headers import STAFF_CSP
from prilavok.settings import Settings
from prilavok.storage.db import create_engine
from tests import clients
from tests.conftest import Server
from tests.conftest import test_settings as settings_for


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_database_wal_and_key_are_created_private(tmp_path: Path) -> None:
    old = os.umask(0o022)  # a usual umask: files would be world-readable
    try:
        data = tmp_path / "data"
        srv = Server(Settings(data_dir=data, port=free_port(), heartbeat_seconds=1.0))
        await srv.start()
        try:
            visitor = await clients.visitor(srv.url)
            ack = await visitor.call("message", {"client_id": clients.cid(), "text": "hi"})
            assert ack["ok"], ack
            await visitor.close()
            files = [data / n for n in ("prilavok.db", "prilavok.db-wal", "prilavok.db-shm")]
            files.append(data / "secret.key")
            assert all(f.exists() for f in files)
            assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
            assert mode(data) == 0o700
        finally:
            await srv.stop()
    finally:
        os.umask(old)


async def test_staff_pages_carry_a_csp_and_server_names_no_version(server: Server) -> None:
    async with aiohttp.ClientSession() as http:
        for path in ("/console", "/admin", "/admin/stats", "/admin/offers"):
            r = await http.get(server.url + path)
            assert r.status == 200, path
            assert r.headers["Content-Security-Policy"] == STAFF_CSP
            assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
            assert r.headers["X-Frame-Options"] == "DENY"
        for path in ("/widget.js", "/healthz", "/console/api/me", "/nowhere"):
            r = await http.get(server.url + path)
            assert r.headers["Server"] == "Prilavok", path
            # The widget is embedded in the shop's pages: no policy of ours applies to them.
            assert "Content-Security-Policy" not in r.headers, path


@pytest.mark.parametrize(
    ("public_url", "flag", "secure"),
    [("https://chat.shop.example", False, True), ("http://127.0.0.1", False, False),
     ("", True, True)],
)  # fmt: skip
async def test_the_cookie_is_secure_by_itself_behind_https(
    sqlite_url: str, tmp_path: Path, public_url: str, flag: bool, secure: bool
) -> None:
    srv = Server(settings_for(sqlite_url, tmp_path, public_url=public_url, cookie_secure=flag))
    await srv.start()
    try:
        await clients.add_operator(srv.deps, "anna")
        async with aiohttp.ClientSession() as http:
            r = await http.post(
                srv.url + "/console/login", json={"login": "anna", "password": clients.PASSWORD}
            )
            assert r.status == 200
            assert bool(r.cookies["prilavok_op"]["secure"]) is secure
    finally:
        await srv.stop()


@pytest.mark.parametrize(("setting", "pragma"), [("FULL", 2), ("NORMAL", 1)])
async def test_sqlite_synchronous_is_a_setting(tmp_path: Path, setting: str, pragma: int) -> None:
    engine = create_engine(
        f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
        sqlite_synchronous=setting,  # type: ignore[arg-type]
    )
    async with engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA synchronous"))).scalar() == pragma
    await engine.dispose()
    assert Settings().sqlite_synchronous == "FULL"
