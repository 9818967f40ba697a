"""Configuration mistakes end in one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from devkit.ports import free_port


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PRILAVOK_")}
    clean.update(PRILAVOK_DATA_DIR=str(tmp_path / "data"), **env)
    return subprocess.run(
        [sys.executable, "-m", "prilavok.cli", *args],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, done.stderr
    return errors[0]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"PRILAVOK_PORT": "abc"}, "PRILAVOK_PORT='abc': Input should be a valid integer"),
        ({"PRILAVOK_DATABASE_URL": "mysql://x/y"}, "use sqlite+aiosqlite:///"),
        (
            {"PRILAVOK_DATABASE_URL": "postgresql://u:secret@127.0.0.1:{dead}/x"},
            "cannot use the database postgresql+asyncpg://u:***@127.0.0.1:",
        ),
        (
            {"PRILAVOK_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/no_such_db_here"},
            'database "no_such_db_here" does not exist; create it first',
        ),
        ({"PRILAVOK_REDIS_URL": "redis://127.0.0.1:{dead}/0"}, "cannot reach Redis at redis://"),
    ],
)
def test_serve_misconfigured(tmp_path: Path, env: dict[str, str], expected: str) -> None:
    dead = str(free_port())  # nothing listens there
    env = {k: v.replace("{dead}", dead) for k, v in env.items()}
    line = one_line_error(run(["serve", "--port", str(free_port())], tmp_path, **env))
    assert expected in line
    assert "secret" not in line


def test_common_postgres_form_is_accepted(tmp_path: Path, pg_database: str) -> None:
    plain = pg_database.replace("postgresql+asyncpg://", "postgresql://")
    done = run(["migrate"], tmp_path, PRILAVOK_DATABASE_URL=plain)
    assert done.returncode == 0, done.stderr
    assert "up to date" in done.stdout


def test_busy_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line_error(run(["serve", "--port", str(port)], tmp_path))
    assert f"port {port} on 127.0.0.1 is in use" in line


def test_csv_import_reads_russian_spreadsheets(tmp_path: Path) -> None:
    # Windows-1251, semicolons, Russian headers, CRLF: what Excel and 1C export.
    (tmp_path / "cp1251.csv").write_bytes(
        "Имя;Телефон;sms\r\nИван;+7 912 345-67-89;да\r\n".encode("cp1251")
    )
    done = run(["customers", "import", "cp1251.csv", "--shop", "s"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "1 customers imported" in done.stdout
    # UTF-8 with a BOM and commas.
    (tmp_path / "bom.csv").write_bytes("\ufeffname,phone\nОльга,+79123456780\n".encode())
    done = run(["customers", "import", "bom.csv", "--shop", "s"], tmp_path)
    assert "1 customers imported" in done.stdout, done.stderr

    (tmp_path / "bad.csv").write_text("name;phone\nА;+79123456781\nБ;12\nВ;+79123456782\nГ;x\n")
    line = one_line_error(run(["customers", "import", "bad.csv", "--shop", "s"], tmp_path))
    assert "nothing imported" in line and "line 3: phone" in line and "line 5: phone" in line

    line = one_line_error(run(["customers", "import", "missing.csv", "--shop", "s"], tmp_path))
    assert "cannot read missing.csv" in line
    (tmp_path / "noheader.csv").write_text("Имя;Почта\nА;a@b\n")
    line = one_line_error(run(["customers", "import", "noheader.csv", "--shop", "s"], tmp_path))
    assert "line 1: the header lacks columns phone" in line
