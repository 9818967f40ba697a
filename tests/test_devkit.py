"""The development kit: ports that xdist workers never share, servers that go down whole."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from devkit import ports
from devkit.ports import PORTS, free_port, worker_slice
from devkit.processes import ServerProcess


def test_xdist_workers_draw_ports_from_disjoint_slices_of_the_range() -> None:
    seen: set[int] = set()
    for i in range(3):
        mine = worker_slice(f"gw{i}", 3)
        assert PORTS.start <= mine.start and mine.stop <= PORTS.stop
        assert len(mine) == len(PORTS) // 3
        assert seen.isdisjoint(mine)
        seen |= set(mine)
    assert worker_slice("", 1) == PORTS  # outside xdist: the whole range
    assert worker_slice("gw0", 1) == PORTS


def test_a_worker_takes_ports_only_from_its_slice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    assert all(free_port() in worker_slice("gw1", 2) for _ in range(50))


def test_a_port_is_not_handed_out_again_before_its_server_could_bind_it() -> None:
    got = [free_port() for _ in range(ports._recent.maxlen or 0)]
    assert len(set(got)) == len(got)


async def refused(port: int, within: float = 5) -> bool:
    """True once nothing listens on `port` any more (a killed process goes down asynchronously)."""
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except ConnectionRefusedError:
            return True
        writer.close()
        await writer.wait_closed()
        await asyncio.sleep(0.1)
    return False


def file_server(root: Path) -> ServerProcess:
    """The standard library's file server: /healthz is a file, so it is ready in no time."""
    (root / "healthz").write_text("ok")
    argv = [sys.executable, "-m", "http.server", "{port}", "--bind", "127.0.0.1"]
    return ServerProcess([*argv, "--directory", str(root)], root / "server.log", max_seconds=60)


@pytest.mark.parametrize("how", ["kill", "stop"])
async def test_a_server_under_timeout_goes_down_with_its_wrapper(tmp_path: Path, how: str):
    server = file_server(tmp_path)
    await server.start()
    assert server.proc is not None and server.proc.poll() is None
    assert not await refused(server.port, within=0.3)  # it is listening
    getattr(server, how)()
    # `timeout` is the process we started; the server is its child, and must not outlive it.
    assert server.proc.poll() is not None
    assert await refused(server.port)
