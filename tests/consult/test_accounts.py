"""Operator accounts from the admin: /admin's own log-in, deactivating and
activating an operator, and an admin's new password for one; each action audited."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from prilavok.consult.kernel import audit
from prilavok.consult.team import accounts, operators
from prilavok.storage.models import Operator
from tests.clients import PASSWORD, Recorder, add_operator, cid, login, operator, visitor
from tests.conftest import Server
from tests.test_admin_keys_and_audit import admin_session

NEW_PASSWORD = "set by the admin 3"


async def me(server: Server, cookie: str) -> int:
    async with aiohttp.ClientSession(cookies={"prilavok_op": cookie}) as http:
        async with http.get(f"{server.url}/console/api/me") as r:
            return r.status


async def post_login(server: Server, path: str, name: str, password: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{server.url}{path}", json={"login": name, "password": password}
        ) as r:
            return r.status, {"body": await r.json(), "cookie": r.cookies.get("prilavok_op")}


async def wait_closed(rec: Recorder) -> None:
    for _ in range(100):
        if not rec.sio.namespaces:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the console socket stayed open")


async def audit_actions(admin: aiohttp.ClientSession, server: Server) -> list[tuple[str, str]]:
    entries = (await (await admin.get(f"{server.url}/admin/api/audit")).json())["entries"]
    return [(e["actor"], e["action"], e["target"]) for e in entries]


async def test_admin_log_in_page_and_redirects(server: Server) -> None:
    await add_operator(server.deps, "boss", role="admin")
    await add_operator(server.deps, "anna")
    async with aiohttp.ClientSession() as http:
        for path in (
            "/admin",
            "/admin/stats",
            "/admin/audit",
            "/admin/keys",
            "/admin/offers",
            "/admin/journeys",
            "/admin/calendar",
        ):
            async with http.get(f"{server.url}{path}", allow_redirects=False) as r:
                assert r.status == 302, path
                assert r.headers["Location"] == f"/admin/login?next={path}"
        async with http.get(f"{server.url}/admin/login") as r:
            assert r.status == 200 and 'data-testid="admin-login-form"' in await r.text()
    # An operator who is not an admin is told so and gets no session.
    status, got = await post_login(server, "/admin/login", "anna", PASSWORD)
    assert (status, got["body"]["error"]["code"], got["cookie"]) == (403, "not_admin", None)
    status, got = await post_login(server, "/admin/login", "boss", "wrong password")
    assert (status, got["body"]["error"]["code"]) == (401, "bad_credentials")
    status, got = await post_login(server, "/admin/login", "boss", PASSWORD)
    assert status == 200 and got["body"]["operator"]["role"] == "admin"
    cookie = got["cookie"].value
    async with aiohttp.ClientSession(cookies={"prilavok_op": cookie}) as http:
        async with http.get(f"{server.url}/admin", allow_redirects=False) as r:
            assert r.status == 200
        # Logged in already: the log-in page sends an admin on, never to another site.
        for asked, to in (("/admin/keys", "/admin/keys"), ("//evil.example", "/admin")):
            async with http.get(
                f"{server.url}/admin/login", params={"next": asked}, allow_redirects=False
            ) as r:
                assert (r.status, r.headers["Location"]) == (302, to)
    assert await me(server, cookie) == 200


async def test_deactivating_an_operator(server: Server) -> None:
    boss = await add_operator(server.deps, "boss", role="admin")
    anna = await add_operator(server.deps, "anna", name="Анна")
    await add_operator(server.deps, "bob", name="Боб")
    anna_cookies = [await login(server.url, "anna") for _ in range(2)]
    anna_console = await operator(server.url, anna_cookies[0], reconnection=False)
    bob_console = None
    v = await visitor(server.url)
    try:
        ack = await v.call("message", {"client_id": cid(), "text": "Помогите"})
        conv_id = ack["conversation"]["id"]
        assert ack["conversation"]["operator_name"] == "Анна"
        await anna_console.wait_for("chat", lambda c: c["id"] == conv_id)
        await anna_console.call(
            "message", {"conversation_id": conv_id, "client_id": cid(), "text": "Сейчас"}
        )
        bob_console = await operator(server.url, await login(server.url, "bob"))

        async with await admin_session(server) as admin:
            url = f"{server.url}/admin/api/operators"
            r = await admin.post(f"{url}/{anna.id}/deactivate")
            assert r.status == 200 and (await r.json())["active"] is False
            # Every session ends and the open console is closed at once.
            await wait_closed(anna_console)
            assert [await me(server, c) for c in anna_cookies] == [401, 401]
            # Her chat goes back to the queue and on to Bob, who is free.
            chat = await bob_console.wait_for("chat", lambda c: c["id"] == conv_id)
            assert chat["operator_id"] != anna.id
            await v.wait_for("conversation", lambda c: c.get("operator_name") == "Боб")
            # Her history keeps her name.
            opened = await bob_console.call("open", {"conversation_id": conv_id})
            said = [m for m in opened["messages"] if m["author"] == "operator"]
            assert [m["author_name"] for m in said] == ["Анна"]
            # She counts nowhere as online: not in the team, not online in the admin.
            team = await bob_console.wait_for("team", lambda t: all(o["id"] != anna.id for o in t))
            assert {o["name"] for o in team} == {"Боб", "boss"}
            ops = {o["login"]: o for o in await (await admin.get(url)).json()}
            assert (ops["anna"]["active"], ops["anna"]["online"]) == (False, False)
            # Log-in refused with a clear code (only to whoever knows the password).
            status, got = await post_login(server, "/console/login", "anna", PASSWORD)
            assert (status, got["body"]["error"]["code"]) == (403, "deactivated")
            status, got = await post_login(server, "/console/login", "anna", "not hers at all")
            assert (status, got["body"]["error"]["code"]) == (401, "bad_credentials")
            # Admins cannot deactivate themselves; unknown ids are 404.
            r = await admin.post(f"{url}/{boss.id}/deactivate")
            assert (r.status, (await r.json())["error"]["code"]) == (409, "self")
            assert (await admin.post(f"{url}/999999/deactivate")).status == 404

            r = await admin.post(f"{url}/{anna.id}/activate")
            assert r.status == 200 and (await r.json())["active"] is True
            assert await me(server, await login(server.url, "anna")) == 200
            assert (await audit_actions(admin, server))[:2] == [
                ("boss", "operator.activate", "operator:anna"),
                ("boss", "operator.deactivate", "operator:anna"),
            ]
        # Operators cannot do it.
        async with await admin_session(server, "bob") as bob:
            r = await bob.post(f"{server.url}/admin/api/operators/{anna.id}/deactivate")
            assert r.status == 403
    finally:
        for rec in (anna_console, bob_console, v):
            if rec is not None:
                await rec.close()


async def test_an_admin_sets_a_new_password(server: Server) -> None:
    await add_operator(server.deps, "boss", role="admin")
    anna = await add_operator(server.deps, "anna")
    cookies = [await login(server.url, "anna") for _ in range(2)]
    console = await operator(server.url, cookies[0], reconnection=False)
    try:
        async with await admin_session(server) as admin:
            url = f"{server.url}/admin/api/operators/{anna.id}/password"
            r = await admin.post(url, json={"password": "short"})
            assert (r.status, (await r.json())["error"]["code"]) == (400, "weak_password")
            assert await me(server, cookies[1]) == 200  # a refused change ends nothing
            r = await admin.post(url, json={"password": NEW_PASSWORD})
            assert r.status == 200
            await wait_closed(console)
            assert [await me(server, c) for c in cookies] == [401, 401]
            status, _ = await post_login(server, "/console/login", "anna", PASSWORD)
            assert status == 401
            assert await me(server, await login(server.url, "anna", NEW_PASSWORD)) == 200
            assert (await audit_actions(admin, server))[0] == (
                "boss",
                "operator.password",
                "operator:anna",
            )
            assert NEW_PASSWORD not in str(await audit_actions(admin, server))
    finally:
        await console.close()


async def test_deactivated_from_the_cli_the_heartbeat_finishes_the_job(server: Server) -> None:
    anna = await add_operator(server.deps, "anna", name="Анна")
    await add_operator(server.deps, "bob", name="Боб")
    anna_console = await operator(server.url, await login(server.url, "anna"), reconnection=False)
    v = await visitor(server.url)
    bob_console = None
    try:
        ack = await v.call("message", {"client_id": cid(), "text": "Помогите"})
        conv_id = ack["conversation"]["id"]
        assert ack["conversation"]["operator_name"] == "Анна"
        bob_console = await operator(server.url, await login(server.url, "bob"))
        # What `prilavok operator deactivate anna` does, from a process without sockets.
        async with server.deps.write() as session:
            op = await session.get(Operator, anna.id)
            assert op is not None
            _, requeued = await accounts.deactivate_in(session, op, audit.CLI)
        assert requeued == [conv_id]
        await operators.beat(server.deps)  # the server's next heartbeat
        await wait_closed(anna_console)
        await bob_console.wait_for("chat", lambda c: c["id"] == conv_id)
        await v.wait_for("conversation", lambda c: c.get("operator_name") == "Боб")
    finally:
        for rec in (anna_console, bob_console, v):
            if rec is not None:
                await rec.close()
