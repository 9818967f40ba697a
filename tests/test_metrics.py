"""/metrics: Prometheus text, guarded by a token or served on an address of its own."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from devkit.ports import free_port
from tests import conftest
from tests.clients import add_operator, cid, login, operator, visitor
from tests.conftest import Server


async def scrape(url: str, token: str | None = None) -> tuple[int, dict[tuple[str, tuple], float]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as r:
        if r.status != 200:
            return r.status, {}
        samples = {}
        for family in text_string_to_metric_families(await r.text()):
            for s in family.samples:
                samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
        return 200, samples


async def test_metrics_count_what_happens(sqlite_url: str, tmp_path: Path) -> None:
    srv = Server(conftest.test_settings(sqlite_url, tmp_path, metrics_token="scrape-me"))
    await srv.start()
    try:
        assert (await scrape(f"{srv.url}/metrics"))[0] == 401
        assert (await scrape(f"{srv.url}/metrics", "wrong"))[0] == 401

        v = await visitor(srv.url)
        await v.call("message", {"client_id": cid(), "text": "Есть размер M?"})
        bad = await v.call("message", {"client_id": cid(), "text": "x" * 5000})
        assert bad["error"]["code"] == "too_long"
        # Made-up event names are one series, "other", however many a client invents.
        for name in ("made-up-1", "made-up-2"):
            refused = await v.call(name, {})
            assert refused["error"]["code"] == "unknown_event"
        status, m = await scrape(f"{srv.url}/metrics", "scrape-me")
        other = ("prilavok_socket_events_total", (("event", "other"), ("side", "visitor")))
        assert m[other] == 2
        assert not [k for k in m if any(v == "made-up-1" for _, v in k[1])]
        assert status == 200
        assert m[("prilavok_socket_connections", (("side", "visitor"),))] == 1
        assert m[("prilavok_messages_relayed_total", (("side", "visitor"),))] == 1
        assert m[("prilavok_socket_errors_total", (("code", "too_long"), ("side", "visitor")))] == 1
        hist = ("prilavok_ack_seconds_count", (("event", "message"), ("side", "visitor")))
        assert m[hist] == 2
        # Nobody is online: the chat waits.
        assert m[("prilavok_queue_length", ())] == 1
        assert m[("prilavok_operators_online", ())] == 0

        await add_operator(srv.deps, "anna", capacity=3)
        op = await operator(srv.url, await login(srv.url, "anna"))
        await op.call("status", {"status": "online"})
        await asyncio.sleep(0.2)
        _, m = await scrape(f"{srv.url}/metrics", "scrape-me")
        assert m[("prilavok_operators_online", ())] == 1
        assert m[("prilavok_socket_connections", (("side", "operator"),))] == 1
        assert m[("prilavok_active_chats", ())] + m[("prilavok_queue_length", ())] == 1
        assert m[("prilavok_operator_free_places", ())] == 3 - m[("prilavok_active_chats", ())]
        await v.close()
        await op.close()
        await asyncio.sleep(0.2)
        _, m = await scrape(f"{srv.url}/metrics", "scrape-me")
        assert m[("prilavok_socket_connections", (("side", "visitor"),))] == 0
        assert m[("prilavok_http_responses_total", (("status", "4xx"),))] >= 2
    finally:
        await srv.stop()


async def test_metrics_on_an_address_of_their_own(sqlite_url: str, tmp_path: Path) -> None:
    port = free_port()
    srv = Server(conftest.test_settings(sqlite_url, tmp_path, metrics_port=port))
    await srv.start()
    try:
        assert (await scrape(f"{srv.url}/metrics"))[0] == 404  # not on the public address
        status, m = await scrape(f"http://127.0.0.1:{port}/metrics")
        assert status == 200 and ("prilavok_queue_length", ()) in m
    finally:
        await srv.stop()


def test_dashboard_asks_only_for_metrics_we_export() -> None:
    import json
    import re

    from prilavok.metrics import Metrics

    dashboard = json.loads(
        (Path(__file__).parent.parent / "docs/grafana-dashboard.json").read_text()
    )
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    asked = {
        re.sub(r"_(bucket|total|count|sum)$", "", n)
        for e in exprs
        for n in re.findall(r"prilavok_\w+", e)
    }
    exported = {m.name for m in Metrics().registry.collect()}
    assert asked and asked <= exported, asked - exported
