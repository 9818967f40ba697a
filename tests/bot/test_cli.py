"""`prilavok customers import` and `prilavok api-key create`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from prilavok import cli
from prilavok.storage.db import create_engine, sessionmaker
from prilavok.storage.models import ApiKey, Customer


def _customers(url: str) -> list[Customer]:
    async def read() -> list[Customer]:
        engine = create_engine(url)
        async with sessionmaker(engine)() as session:
            found = list(await session.scalars(select(Customer).order_by(Customer.phone)))
        await engine.dispose()
        return found

    return asyncio.run(read())


def test_csv_import_and_api_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("PRILAVOK_DATABASE_URL", url)
    monkeypatch.setenv("PRILAVOK_DATA_DIR", str(tmp_path))
    csv = tmp_path / "customers.csv"
    csv.write_text(
        "name,phone,timezone,telegram,viber,sms\n"
        "Иван Петров,8 912 345-67-89,Asia/Yekaterinburg,yes,no,да\n"
        "Ольга,+79123456780,,no,no,no\n",
        encoding="utf-8",
    )
    cli.main(["customers", "import", str(csv), "--shop", "shop-1"])
    assert "2 customers imported" in capsys.readouterr().out
    ivan, olga = sorted(_customers(url), key=lambda c: c.name)
    assert (ivan.phone, ivan.timezone, ivan.consent_telegram, ivan.consent_sms) == (
        "+79123456789",
        "Asia/Yekaterinburg",
        True,
        True,
    )
    assert not ivan.consent_viber and not olga.consent_sms

    # One bad row refuses the file; nothing changes.
    csv.write_text("name,phone,sms\nНовый,+79123450000,yes\nПлохой,123,yes\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="phone"):
        cli.main(["customers", "import", str(csv), "--shop", "shop-1"])
    assert len(_customers(url)) == 2

    cli.main(["api-key", "create", "shop-1"])
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert key.startswith("pk_")

    async def keys() -> list[str]:
        engine = create_engine(url)
        async with sessionmaker(engine)() as session:
            found = list(await session.scalars(select(ApiKey.shop_id)))
        await engine.dispose()
        return found

    assert asyncio.run(keys()) == ["shop-1"]
