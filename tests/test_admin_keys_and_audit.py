"""API keys are named, listed with their last use and revoked (CLI and admin); every admin change
leaves an audit entry naming who made it; hot replies are listed and removed from the CLI."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from prilavok import cli
from prilavok.bot import api_keys
from tests.clients import add_operator, login
from tests.conftest import Server


async def admin_session(server: Server, who: str = "boss") -> aiohttp.ClientSession:
    http = aiohttp.ClientSession(cookies={"prilavok_op": await login(server.url, who)})
    me = await (await http.get(f"{server.url}/console/api/me")).json()
    http.headers["X-CSRF-Token"] = me["csrf_token"]
    return http


async def offers_status(server: Server, key: str) -> int:
    async with aiohttp.ClientSession() as http:
        r = await http.get(
            f"{server.url}/api/v1/offers/1", headers={"Authorization": f"Bearer {key}"}
        )
        return r.status


async def test_keys_revoked_from_the_admin_stop_working(server: Server) -> None:
    await add_operator(server.deps, "boss", role="admin")
    await add_operator(server.deps, "anna")
    async with await admin_session(server) as admin:
        r = await admin.post(
            f"{server.url}/admin/api/api-keys", json={"shop_id": "s1", "name": "1C"}
        )
        assert r.status == 201
        key = (await r.json())["key"]
        assert await offers_status(server, key) == 404  # accepted: no offer 1, but not 401
        keys = (await (await admin.get(f"{server.url}/admin/api/api-keys")).json())["api_keys"]
        (listed,) = keys
        assert (listed["shop_id"], listed["name"], listed["prefix"]) == ("s1", "1C", key[:10])
        assert listed["last_used_at"] is not None and listed["revoked_at"] is None
        assert key not in str(keys)  # only the prefix is ever shown again

        r = await admin.delete(f"{server.url}/admin/api/api-keys/{listed['id']}")
        assert r.status == 200 and (await r.json())["api_key"]["revoked_at"]
        assert await offers_status(server, key) == 401
        assert (await admin.delete(f"{server.url}/admin/api/api-keys/999999")).status == 404

        entries = (await (await admin.get(f"{server.url}/admin/api/audit")).json())["entries"]
        assert [(e["actor"], e["action"]) for e in entries] == [
            ("boss", "api_key.revoke"),
            ("boss", "api_key.create"),
        ]
    # Operators cannot read or make keys.
    async with await admin_session(server, "anna") as anna:
        assert (await anna.get(f"{server.url}/admin/api/api-keys")).status == 403
        r = await anna.post(f"{server.url}/admin/api/api-keys", json={"shop_id": "s1"})
        assert r.status == 403
    assert len(await api_keys.listing(server.deps)) == 1


async def test_admin_changes_are_audited(server: Server) -> None:
    await add_operator(server.deps, "boss", role="admin")
    async with await admin_session(server) as admin:
        rule = {
            "name": "Корзина",
            "conditions": {"items": [{"type": "cart_not_empty"}]},
            "text": "Помочь?",
        }
        made = await (await admin.post(f"{server.url}/admin/api/rules", json=rule)).json()
        await admin.delete(f"{server.url}/admin/api/rules/{made['id']}")
        op = await (
            await admin.post(
                f"{server.url}/admin/api/operators",
                json={"login": "anna", "password": "long-enough-1"},
            )
        ).json()
        await admin.put(f"{server.url}/admin/api/operators/{op['id']}", json={"capacity": 2})
        # A refused change leaves no entry.
        await admin.put(f"{server.url}/admin/api/operators/{op['id']}", json={"capacity": 0})
        hours = await (await admin.get(f"{server.url}/admin/api/settings")).json()
        await admin.put(f"{server.url}/admin/api/settings", json=hours)
        entries = (await (await admin.get(f"{server.url}/admin/api/audit")).json())["entries"]
    assert [(e["action"], e["target"]) for e in entries] == [
        ("settings.business_hours", "settings"),
        ("operator.change", "operator:anna"),
        ("operator.create", "operator:anna"),
        ("rule.delete", f"rule:{made['id']}"),
        ("rule.create", f"rule:{made['id']}"),
    ]
    assert entries[1]["detail"] == "capacity=2"
    assert {e["actor"] for e in entries} == {"boss"}


def test_cli_keys_and_hot_replies(
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PRILAVOK_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("PRILAVOK_DATA_DIR", str(tmp_path))
    cli.main(["api-key", "create", "s1", "--name", "1C обмен"])
    key = capsys.readouterr().out.strip().splitlines()[-1]
    cli.main(["api-key", "list"])
    line = capsys.readouterr().out.strip()
    assert line.startswith("1\ts1\t" + key[:10] + "…\t1C обмен") and line.endswith("live")
    assert key not in line
    cli.main(["api-key", "revoke", "1"])
    assert "revoked" in capsys.readouterr().out
    cli.main(["api-key", "list", "--shop", "s1"])
    assert "\trevoked " in capsys.readouterr().out
    with pytest.raises(SystemExit, match="API key not found"):
        cli.main(["api-key", "revoke", "42"])

    cli.main(["hot-reply", "add", "hi", "Здравствуйте!"])
    cli.main(["hot-reply", "add", "bye", "До свидания, " + "очень " * 20 + "ждём снова"])
    capsys.readouterr()
    cli.main(["hot-reply", "list"])
    rows = capsys.readouterr().out.strip().splitlines()
    assert [r.split("\t")[1:3] for r in rows] == [["/bye", "global"], ["/hi", "global"]]
    assert rows[0].endswith("…")
    cli.main(["hot-reply", "remove", "/hi"])
    assert "/hi removed" in capsys.readouterr().out
    cli.main(["hot-reply", "list"])
    assert "/hi" not in capsys.readouterr().out
    with pytest.raises(SystemExit, match="no hot reply /hi"):
        cli.main(["hot-reply", "remove", "hi"])
