"""Bytes to one console while chats queue: deltas, not the whole queue on every message.

The same measurement as `bench/queue_bytes.py` (1,000 chats, under 1 MB), at 200 chats.
"""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench.queue_bytes import measure
from tests import conftest
from tests.clients import add_operator, login
from tests.conftest import Server

CHATS = 200


@pytest.fixture
async def sqlite_server(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Server]:
    # All chats come from one test address: the per-address limits are off here.
    off = {f"limit_{name}": "" for name in ("address_sockets", "address_conversations")}
    srv = Server(conftest.test_settings(sqlite_url, tmp_path, **off))
    await srv.start()
    yield srv
    await srv.stop()


async def test_two_hundred_queued_chats_cost_one_console_little(sqlite_server: Server) -> None:
    await add_operator(sqlite_server.deps, "anna")
    cookie = await login(sqlite_server.url, "anna")
    found = await measure(sqlite_server.url, cookie, CHATS, concurrency=20)
    assert found["statuses"] == {"queued": CHATS}
    # Each chat once (~500 bytes with its message), a few coalesced deltas; the whole queue on
    # every message was 200 × 100 chats on average, about 10 MB.
    assert found["console_bytes"] < 250_000, found
    assert "queue" not in found["console_events"]
    assert found["console_events"]["queue.delta"] < CHATS / 2, found
