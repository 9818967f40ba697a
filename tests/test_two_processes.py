"""Two server processes on PostgreSQL and Redis: the visitor on one, the operator on the other."""

import asyncio
import uuid
from pathlib import Path

import aiohttp
import redis.asyncio as aioredis

from devkit.processes import ServerProcess
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.notifier import RecordingNotifier
from prilavok.storage.db import create_engine, migrate, sessionmaker
from tests.clients import add_hot_reply, add_operator, cid, login, operator, visitor
from tests.conftest import REDIS_URL, reset_pg


async def test_visitor_and_operator_on_different_processes(pg_database: str, tmp_path: Path):
    # Fails loudly, rather than skipping, when Redis is not there.
    await aioredis.from_url(REDIS_URL).ping()
    await reset_pg()
    engine = create_engine(pg_database)
    await migrate(engine)
    deps = Deps(sessionmaker(engine), RecordingNotifier())
    await add_operator(deps, "anna", capacity=1, name="Анна")
    reply_id = await add_hot_reply(deps, "hi", "Здравствуйте, {visitor.name|друг}!")

    env = {
        "PRILAVOK_DATABASE_URL": pg_database,
        "PRILAVOK_REDIS_URL": REDIS_URL,
        "PRILAVOK_REDIS_CHANNEL": f"test-{uuid.uuid4().hex}",
        "PRILAVOK_DATA_DIR": str(tmp_path),
        "PRILAVOK_SECRET_KEY": "two-processes",
    }
    a = ServerProcess.prilavok(tmp_path / "a.log", env)
    b = ServerProcess.prilavok(tmp_path / "b.log", env)
    await a.start()
    await b.start()
    try:
        op = await operator(b.url, await login(b.url, "anna"), auth={"queue": "delta"})
        v1 = await visitor(a.url, url="http://shop.test/cart", title="Корзина")
        ack = await v1.call("message", {"client_id": cid(), "text": "Помогите с заказом"})
        conv_id = ack["conversation"]["id"]
        assert ack["conversation"]["operator_name"] == "Анна"

        chat = await op.wait_for("chat", lambda c: c["id"] == conv_id)
        assert chat["current_title"] == "Корзина"
        await v1.call("typing", {"typing": True})
        await op.wait_for("typing", lambda t: t["conversation_id"] == conv_id)

        text = (
            await op.call(
                "hot_reply.render", {"conversation_id": conv_id, "hot_reply_id": reply_id}
            )
        )["text"]
        assert text == "Здравствуйте, друг!"
        await op.call("message", {"conversation_id": conv_id, "client_id": cid(), "text": text})
        got = await v1.wait_for("message", lambda m: m["author"] == "operator")
        assert got["text"] == "Здравствуйте, друг!"

        # Anna is full (capacity 1): a second visitor, on process A, waits in the queue and the
        # console on process B sees it; closing the first chat on B hands it over.
        v2 = await visitor(a.url)
        ack2 = await v2.call("message", {"client_id": cid(), "text": "А мне?"})
        assert ack2["conversation"]["queue_position"] == 1
        await op.wait_for(
            "queue.delta", lambda d: [c["id"] for c in d["added"]] == [ack2["conversation"]["id"]]
        )
        await op.call("close", {"conversation_id": conv_id})
        await v1.wait_for("conversation", lambda c: c["status"] == "closed")
        await v2.wait_for("conversation", lambda c: c["status"] == "active")
        await op.wait_for("chat", lambda c: c["id"] == ack2["conversation"]["id"])
        for c in (op, v1, v2):
            await c.close()
    finally:
        a.stop()
        b.stop()
        await engine.dispose()


async def test_deactivating_on_one_process_logs_out_a_console_on_the_other(
    pg_database: str, tmp_path: Path
):
    await aioredis.from_url(REDIS_URL).ping()
    await reset_pg()
    engine = create_engine(pg_database)
    await migrate(engine)
    deps = Deps(sessionmaker(engine), RecordingNotifier())
    await add_operator(deps, "boss", role="admin")
    anna = await add_operator(deps, "anna", name="Анна")
    await add_operator(deps, "bob", name="Боб")
    env = {
        "PRILAVOK_DATABASE_URL": pg_database,
        "PRILAVOK_REDIS_URL": REDIS_URL,
        "PRILAVOK_REDIS_CHANNEL": f"test-{uuid.uuid4().hex}",
        "PRILAVOK_DATA_DIR": str(tmp_path),
        "PRILAVOK_SECRET_KEY": "two-processes",
        # Far longer than the test waits: the console must close through Redis, at once, not
        # at process B's next heartbeat.
        "PRILAVOK_HEARTBEAT_SECONDS": "60",
    }
    a = ServerProcess.prilavok(tmp_path / "a.log", env)
    b = ServerProcess.prilavok(tmp_path / "b.log", env)
    await a.start()
    await b.start()
    try:
        anna_console = await operator(b.url, await login(b.url, "anna"), reconnection=False)
        closed = asyncio.Event()
        anna_console.sio.on("disconnect", lambda *_: closed.set(), namespace="/operator")
        v = await visitor(a.url)
        ack = await v.call("message", {"client_id": cid(), "text": "Помогите"})
        conv_id = ack["conversation"]["id"]
        assert ack["conversation"]["operator_name"] == "Анна"
        bob_console = await operator(a.url, await login(a.url, "bob"))

        cookie = await login(a.url, "boss")
        async with aiohttp.ClientSession(cookies={"prilavok_op": cookie}) as http:
            me = await (await http.get(f"{a.url}/console/api/me")).json()
            http.headers["X-CSRF-Token"] = me["csrf_token"]
            r = await http.post(f"{a.url}/admin/api/operators/{anna.id}/deactivate")
            assert r.status == 200
        # Closed within seconds, not left to process B's heartbeat a minute away.
        await asyncio.wait_for(closed.wait(), 5)
        await bob_console.wait_for("chat", lambda c: c["id"] == conv_id)
        for c in (anna_console, bob_console, v):
            await c.close()
    finally:
        a.stop()
        b.stop()
        await engine.dispose()
