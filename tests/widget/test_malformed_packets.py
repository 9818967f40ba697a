"""A Socket.IO packet that cannot be read gets an `invalid_payload` ack and error event with
its code, and one line in the log, not a traceback."""

from __future__ import annotations

import json
import logging

import aiohttp
import pytest

from tests.conftest import Server


async def raw_visitor(http: aiohttp.ClientSession, base: str) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(base + "/socket.io/?EIO=4&transport=websocket")
    assert (await ws.receive_str(timeout=10)).startswith("0")
    await ws.send_str('40/visitor,{"url": "http://shop.test/", "title": "Shop"}')
    while not (await ws.receive_str(timeout=10)).startswith("40/visitor,"):
        pass
    return ws


async def answer(ws: aiohttp.ClientWebSocketResponse, prefix: str, seen: list[str]) -> str:
    """The packet that starts with `prefix` (without it); every packet read goes to `seen`."""
    while not (data := await ws.receive_str(timeout=10)).startswith(prefix):
        seen.append(data)
    return data[len(prefix) - 1 :]


@pytest.mark.parametrize(
    ("packet", "message"),
    [
        ('42/visitor,7["message",{"client_id": "a", "text": "\\ud800"}]', "not JSON"),
        ('42/visitor,7["message",' + "[" * 2000 + "]" * 2000 + "]", "not JSON"),
        ('42/visitor,7["message",' + "[" * 40 + "]" * 40 + "]", "nested deeper"),
        ('42/visitor,7["message",{"client_id": "a", "text": "a\\u0000b"}]', "NUL"),
        ('42/visitor,7["read",{"up_to": 99999999999999999999}]', "up_to"),
        ('42/visitor,7{"not": "a list"}', "an event is [name, payload]"),
        ('42/visitor,7["message",{"client_id": "a", "text": NaN}]', "not JSON"),
    ],
)
async def test_an_unreadable_packet_gets_a_coded_error_and_one_log_line(
    server: Server, caplog: pytest.LogCaptureFixture, packet: str, message: str
) -> None:
    caplog.set_level(logging.INFO)
    async with aiohttp.ClientSession() as http:
        ws = await raw_visitor(http, server.url)
        await ws.send_str(packet)
        seen: list[str] = []
        ack = json.loads(await answer(ws, "43/visitor,7[", seen))[0]
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload"
        assert message in ack["error"]["message"]
        (event,) = [json.loads(p[len("42/visitor,") :]) for p in seen if '["error"' in p]
        assert event[1]["code"] == "invalid_payload"
        # The connection still works.
        await ws.send_str('42/visitor,8["typing",{"typing": true}]')
        assert json.loads(await answer(ws, "43/visitor,8[", seen))[0] == {"ok": True}
        await ws.close()
    assert [r for r in caplog.records if r.exc_info] == []
    lines = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(lines) <= 1 and all("\n" not in r.getMessage() for r in lines)


async def test_a_frame_that_is_no_engine_io_packet_closes_only_that_socket(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    async with aiohttp.ClientSession() as http:
        ws = await raw_visitor(http, server.url)
        await ws.send_str("x-not-a-packet")
        msg = await ws.receive(timeout=10)
        while msg.type == aiohttp.WSMsgType.TEXT:
            msg = await ws.receive(timeout=10)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                            aiohttp.WSMsgType.ERROR)  # fmt: skip
        ws2 = await raw_visitor(http, server.url)  # the server serves on
        await ws2.close()
    assert [r for r in caplog.records if r.exc_info] == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
