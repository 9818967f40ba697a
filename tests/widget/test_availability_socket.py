"""What the widget is told about who can answer, over real sockets."""

from tests.clients import add_operator, cid, login, operator, visitor
from tests.conftest import Server


async def test_nobody_online_then_an_operator_comes_and_gets_the_left_message(
    server: Server,
) -> None:
    await add_operator(server.deps, "anna", name="Анна", capacity=1)
    v = await visitor(server.url)
    # Nobody has a console open: not "all busy, you are first", but offline.
    first = v.of("session")[0]["availability"]
    assert (first["state"], first["reason"]) == ("offline", "nobody")
    ack = await v.call("message", {"client_id": cid(), "text": "Перезвоните мне"})
    assert ack["conversation"]["status"] == "queued"
    conv_id = ack["conversation"]["id"]

    console = await operator(server.url, await login(server.url, "anna"), auth={"queue": "delta"})
    chat = await console.wait_for("chat", lambda c: c["id"] == conv_id)
    assert chat["left_offline"] is True
    got = await v.wait_for("conversation", lambda c: c["status"] == "active")
    assert got["operator_name"] == "Анна"
    # Anna's one place is taken by that chat: widgets are told operators are there but busy.
    told = await v.wait_for("availability", lambda a: a["state"] == "busy")
    assert told["reason"] is None
    other = await visitor(server.url)
    assert other.of("session")[0]["availability"]["state"] == "busy"

    await console.call("close", {"conversation_id": conv_id})
    await v.wait_for("availability", lambda a: a["state"] == "online")
    await console.close()
    await v.wait_for("availability", lambda a: a["state"] == "offline")
    for c in (v, other):
        await c.close()
