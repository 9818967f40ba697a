"""The widget's namespace over a real socket: sessions, resync, bad input."""

import aiohttp
import socketio
from sqlalchemy import func, select

from prilavok.storage.models import Message
from tests.clients import add_operator, cid, login, operator, visitor
from tests.conftest import Server


async def stored(server: Server) -> int:
    async with server.deps.sessions() as s:
        return await s.scalar(select(func.count()).select_from(Message))


async def test_a_token_brings_the_visitor_and_history_back(server: Server) -> None:
    v = await visitor(server.url)
    token = v.of("session")[0]["token"]
    ack = await v.call("message", {"client_id": cid(), "text": "Есть чехлы?"})
    assert ack["ok"] and ack["conversation"]["status"] == "queued"
    await v.close()

    again = await visitor(server.url, token=token)
    session = again.of("session")[0]
    assert session["visitor"]["id"] == v.of("session")[0]["visitor"]["id"]
    assert [m["text"] for m in session["messages"]] == ["Есть чехлы?"]
    assert session["conversation"]["queue_position"] == 1
    await again.close()

    stranger = await visitor(server.url, token=token[:-2] + "xx")
    assert stranger.of("session")[0]["visitor"]["id"] != session["visitor"]["id"]
    assert stranger.of("session")[0]["messages"] == []
    await stranger.close()


async def test_bad_events_get_codes_and_store_nothing(server: Server) -> None:
    v = await visitor(server.url)
    bad = [
        ("message", "not an object", "invalid_payload"),
        ("message", {"text": "no client id"}, "invalid_payload"),
        ("message", {"client_id": "x" * 65, "text": "hi"}, "invalid_payload"),
        ("message", {"client_id": "a b", "text": "hi"}, "invalid_payload"),
        ("message", {"client_id": cid(), "text": 5}, "invalid_payload"),
        ("message", {"client_id": cid(), "text": "x" * 4001}, "too_long"),
        ("message", {"client_id": cid(), "text": "   "}, "empty"),
        ("message", {"client_id": cid(), "text": "hi", "conversation_id": 999}, "not_found"),
        ("read", {"up_to": "1"}, "invalid_payload"),
        ("page", {"url": ""}, "invalid_payload"),
        ("no_such_event", {}, "unknown_event"),
    ]
    for event, payload, code in bad:
        ack = await v.call(event, payload)
        assert ack == {"ok": False, "error": {"code": code, "message": ack["error"]["message"]}}
    assert len(v.of("error")) == len(bad)  # also told by an event, for senders without acks
    assert await stored(server) == 0
    # The socket still works afterwards.
    assert (await v.call("message", {"client_id": cid(), "text": "ok"}))["ok"]
    await v.close()


async def test_a_visitor_cannot_name_another_visitors_conversation(server: Server) -> None:
    alice = await visitor(server.url)
    ack = await alice.call("message", {"client_id": cid(), "text": "mine"})
    conv_id = ack["conversation"]["id"]
    mallory = await visitor(server.url)
    for event, payload in [
        ("message", {"client_id": cid(), "text": "hijack", "conversation_id": conv_id}),
        ("read", {"up_to": ack["message"]["id"], "conversation_id": conv_id}),
    ]:
        got = await mallory.call(event, payload)
        assert got["error"]["code"] == "not_found"
    assert await stored(server) == 1
    assert mallory.of("message") == []
    await alice.close()
    await mallory.close()


async def test_operator_socket_without_login_is_refused(server: Server) -> None:
    for headers in ({}, {"Cookie": "prilavok_op=forged.cookie"}):
        client = socketio.AsyncClient()
        errors: list = []
        client.on("connect_error", errors.append, namespace="/operator")
        try:
            await client.connect(
                server.url, namespaces=["/operator"], headers=headers, transports=["websocket"]
            )
        except socketio.exceptions.ConnectionError:
            pass
        assert errors and errors[0]["data"] == {"code": "unauthorized"}
        assert not client.connected
        await client.disconnect()


async def test_a_widget_without_a_page_is_refused(server: Server) -> None:
    client = socketio.AsyncClient()
    errors: list = []
    client.on("connect_error", errors.append, namespace="/visitor")
    try:
        await client.connect(
            server.url, namespaces=["/visitor"], auth={"token": 5}, transports=["websocket"]
        )
    except socketio.exceptions.ConnectionError:
        pass
    assert errors and errors[0]["data"] == {"code": "invalid_payload"}
    await client.disconnect()


async def test_login_errors_and_session_cookie(server: Server) -> None:
    await add_operator(server.deps, "anna")
    async with aiohttp.ClientSession() as http:
        r = await http.post(f"{server.url}/console/login", json={"login": "anna", "password": "no"})
        assert r.status == 401
        assert (await r.json())["error"]["code"] == "bad_credentials"
        r = await http.post(f"{server.url}/console/login", data={"login": "anna"})
        assert r.status == 415
        r = await http.post(
            f"{server.url}/console/login",
            data="[1]",
            headers={"Content-Type": "application/json"},
        )
        assert r.status == 400
        r = await http.get(f"{server.url}/console/api/me")
        assert r.status == 401
    cookie = await login(server.url, "anna")
    async with aiohttp.ClientSession(cookies={"prilavok_op": cookie}) as http:
        r = await http.get(f"{server.url}/console/api/me")
        assert (await r.json())["operator"]["login"] == "anna"
    op = await operator(server.url, cookie)
    assert op.of("init")[0]["operator"]["login"] == "anna"
    # Unknown conversations are refused on the console too.
    for event in ("open", "close", "take"):
        got = await op.call(event, {"conversation_id": 12345})
        assert got["error"]["code"] == "not_found", event
    await op.close()


async def test_an_operator_cannot_touch_another_operators_chat(server: Server) -> None:
    await add_operator(server.deps, "anna", capacity=1)
    await add_operator(server.deps, "boris", capacity=1)
    anna = await operator(server.url, await login(server.url, "anna"))
    v = await visitor(server.url)
    ack = await v.call("message", {"client_id": cid(), "text": "hi"})
    conv_id = ack["conversation"]["id"]
    assert ack["conversation"]["operator_name"] == "anna"
    boris = await operator(server.url, await login(server.url, "boris"))
    for event, payload in [
        ("open", {"conversation_id": conv_id}),
        ("message", {"conversation_id": conv_id, "client_id": cid(), "text": "x"}),
        ("close", {"conversation_id": conv_id}),
        ("read", {"conversation_id": conv_id, "up_to": ack["message"]["id"]}),
        ("transfer", {"conversation_id": conv_id, "operator_id": 2}),
    ]:
        got = await boris.call(event, payload)
        assert got["error"]["code"] == "forbidden", event
    assert await stored(server) == 1
    for c in (anna, boris, v):
        await c.close()


async def test_message_travels_both_ways_with_receipts(server: Server) -> None:
    await add_operator(server.deps, "anna", name="Анна")
    op = await operator(server.url, await login(server.url, "anna"))
    v = await visitor(server.url, url="http://shop.test/cart", title="Корзина")
    ack = await v.call("message", {"client_id": cid(), "text": "<script>alert(1)</script>"})
    assert ack["conversation"] == {
        "id": ack["conversation"]["id"],
        "status": "active",
        "operator_name": "Анна",
        "queue_position": None,
        "rated": False,
    }
    conv_id, mid = ack["conversation"]["id"], ack["message"]["id"]
    chat = await op.wait_for("chat", lambda c: c["id"] == conv_id)
    assert chat["current_url"] == "http://shop.test/cart"
    assert chat["last_message"]["text"] == "<script>alert(1)</script>"
    assert chat["unread"] == 1

    assert (await op.call("delivered", {"conversation_id": conv_id, "up_to": mid}))["ok"]
    await v.wait_for("receipt", lambda r: r["field"] == "delivered" and r["up_to"] == mid)
    await op.call("read", {"conversation_id": conv_id, "up_to": mid})
    await v.wait_for("receipt", lambda r: r["field"] == "read")

    await op.call("typing", {"conversation_id": conv_id, "typing": True})
    assert (await v.wait_for("typing"))["author_name"] == "Анна"
    reply = await op.call("message", {"conversation_id": conv_id, "client_id": cid(), "text": "Да"})
    got = await v.wait_for("message", lambda m: m["author"] == "operator")
    assert got == reply["message"]
    await v.call("delivered", {"up_to": got["id"]})
    await op.wait_for("receipt", lambda r: r["field"] == "delivered" and r["up_to"] == got["id"])
    await v.call("read", {"up_to": got["id"]})
    await op.wait_for("receipt", lambda r: r["field"] == "read" and r["up_to"] == got["id"])

    await v.call("page", {"url": "http://shop.test/checkout", "title": "Оформление"})
    page = await op.wait_for("page")
    assert (page["conversation_id"], page["title"]) == (conv_id, "Оформление")
    await op.close()
    await v.close()


async def test_cart_identity_purchase_and_call_back(server: Server) -> None:
    from prilavok.storage.models import RelatedProduct, Task, Visitor

    await add_operator(server.deps, "anna")
    async with server.deps.write() as s:
        s.add(RelatedProduct(category="phones", title="Чехол", url="/shop/case", price=990.0))
    op = await operator(server.url, await login(server.url, "anna"))
    v = await visitor(server.url)
    ack = await v.call("message", {"client_id": cid(), "text": "hi"})
    conv_id = ack["conversation"]["id"]
    cart = {"items": [{"id": "p1", "name": "Нева 12", "price": 34990, "quantity": 2}]}
    got = await v.call("cart", cart)
    assert got["cart"]["total"] == 69980 and got["cart"]["count"] == 2
    live = await op.wait_for("cart", lambda c: c["conversation_id"] == conv_id)
    assert live["cart"]["total"] == 69980
    bad = await v.call("cart", {"items": [{"id": "p1", "price": -5}]})
    assert bad["error"]["code"] == "invalid_payload"

    me = await v.call("identify", {"id": "cust-42", "name": "Мария"})
    assert me["visitor"]["name"] == "Мария"
    opened = await op.call("open", {"conversation_id": conv_id})
    assert opened["context"]["visitor"]["external_id"] == "cust-42"
    assert opened["context"]["cart"]["count"] == 2

    bought = await v.call(
        "purchase",
        {"order_id": "A-1", "total": 69980, "items": [{"id": "p1", "category": "phones"}]},
    )
    assert bought["related"] == [{"title": "Чехол", "url": "/shop/case", "price": 990.0}]
    await op.wait_for("purchase", lambda p: p["order_id"] == "A-1")
    again = await v.call("purchase", {"order_id": "A-1", "total": 69980})
    assert again["ok"]  # the thank-you page reloaded: still one order

    wrong = await v.call("callback", {"kind": "callback", "name": "Мария", "phone": "12"})
    assert wrong["error"]["code"] == "invalid_phone"
    fine = await v.call(
        "callback", {"kind": "callback", "name": "Мария", "phone": "8 912 345-67-89"}
    )
    task = await op.wait_for("task", lambda t: t["id"] == fine["task_id"])
    assert task["phone"] == "+79123456789" and task["source"] == "widget"
    async with server.deps.sessions() as s:
        assert len(list(await s.scalars(select(Task)))) == 1
        assert (await s.scalar(select(Visitor).where(Visitor.external_id == "cust-42"))).name == (
            "Мария"
        )
    for c in (op, v):
        await c.close()


async def test_a_signed_identity_brings_the_customer_back_on_another_device(
    sqlite_url: str, tmp_path
) -> None:
    from prilavok.consult.visitors.shopping import identity_hash
    from tests.conftest import test_settings

    srv = Server(test_settings(sqlite_url, tmp_path, shop_secret="shop-secret"))
    await srv.start()
    try:
        laptop = await visitor(srv.url)
        signed = identity_hash("shop-secret", "cust-7")
        assert (await laptop.call("identify", {"id": "cust-7", "name": "Ия", "hash": signed}))["ok"]
        await laptop.call("message", {"client_id": cid(), "text": "с ноутбука"})

        phone = await visitor(srv.url)
        forged = await phone.call("identify", {"id": "cust-7", "hash": "0" * 64})
        assert forged["error"]["code"] == "bad_identity"
        unsigned = await phone.call("identify", {"id": "cust-7"})
        assert unsigned["error"]["code"] == "bad_identity"
        await phone.call("identify", {"id": "cust-7", "hash": signed})
        resumed = await phone.wait_for("session", lambda s: s["visitor"]["name"] == "Ия")
        assert [m["text"] for m in resumed["messages"]] == ["с ноутбука"]
        for c in (laptop, phone):
            await c.close()
    finally:
        await srv.stop()


async def test_the_visitors_other_tabs_get_the_message_and_the_sending_tab_its_ack(
    server: Server,
) -> None:
    first = await visitor(server.url)
    token = first.of("session")[0]["token"]
    second = await visitor(server.url, token=token)
    opening = await first.call("message", {"client_id": cid(), "text": "opens the chat"})
    await second.wait_for("message", lambda m: m["id"] == opening["message"]["id"])
    # Now the group path: the conversation is open.
    ack = await second.call("message", {"client_id": cid(), "text": "from the second tab"})
    assert ack["ok"] and ack["message"]["text"] == "from the second tab"
    echoed = await first.wait_for("message", lambda m: m["id"] == ack["message"]["id"])
    assert echoed == ack["message"]
    # The sender has it from the ack; an echo would come before a later event does.
    last = await first.call("message", {"client_id": cid(), "text": "back to the first"})
    await second.wait_for("message", lambda m: m["id"] == last["message"]["id"])
    assert [m["id"] for m in second.of("message")] == [
        opening["message"]["id"],
        last["message"]["id"],
    ]
    assert [m["id"] for m in first.of("message")] == [ack["message"]["id"]]
    await first.close()
    await second.close()
