"""Nothing acknowledged is lost: a crash between messages, then both sides resync."""

from pathlib import Path

from devkit.processes import ServerProcess
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.notifier import RecordingNotifier
from prilavok.storage.db import create_engine, migrate, sessionmaker
from tests.clients import add_operator, cid, login, operator, visitor


async def test_after_a_crash_and_restart_every_acknowledged_message_is_there(
    db_url: str, tmp_path: Path
) -> None:
    engine = create_engine(db_url)
    await migrate(engine)
    await add_operator(Deps(sessionmaker(engine), RecordingNotifier()), "anna", capacity=4)
    await engine.dispose()

    env = {
        "PRILAVOK_DATABASE_URL": db_url,
        "PRILAVOK_DATA_DIR": str(tmp_path),
        "PRILAVOK_SECRET_KEY": "restart-test",
    }
    srv = ServerProcess.prilavok(tmp_path / "server.log", env)
    await srv.start()
    try:
        op = await operator(srv.url, await login(srv.url, "anna"), reconnection_delay=0.2)
        v = await visitor(srv.url, reconnection_delay=0.2)
        acked = []
        for i in range(20):
            ack = await v.call("message", {"client_id": cid(), "text": f"visitor {i}"})
            acked.append(ack["message"]["id"])
        conv_id = ack["conversation"]["id"]
        for i in range(5):
            ack = await op.call(
                "message", {"conversation_id": conv_id, "client_id": cid(), "text": f"op {i}"}
            )
            acked.append(ack["message"]["id"])

        srv.kill()
        await srv.start()

        # Both sides come back by themselves and get the state again.
        resync = await v.wait_for("session", lambda s: len(v.of("session")) >= 2, timeout=20)
        resync = v.of("session")[-1]
        assert [m["id"] for m in resync["messages"]] == acked
        assert resync["conversation"]["id"] == conv_id
        await op.wait_for("init", lambda _: len(op.of("init")) >= 2, timeout=20)
        assert [c["id"] for c in op.of("init")[-1]["chats"]] == [conv_id]
        opened = await op.call("open", {"conversation_id": conv_id})
        assert [m["id"] for m in opened["messages"]] == acked

        # And the conversation simply goes on.
        ack = await v.call("message", {"client_id": cid(), "text": "after restart"})
        assert ack["conversation"]["id"] == conv_id
        await op.wait_for("message", lambda m: m["text"] == "after restart")
        await v.close()
        await op.close()
    finally:
        srv.stop()
