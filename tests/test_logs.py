"""Log lines: never a token, password or full phone; one line each, folded when repeated."""

from __future__ import annotations

import json
import logging

import pytest

from prilavok import logs


@pytest.fixture(autouse=True)
def restore_root() -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_secrets_and_phones_are_masked(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO", "text")
    log = logging.getLogger("prilavok.test")
    log.info("POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1/x")
    log.warning("customer %s replied, key %s", "+7 (912) 345-67-89", "pk_live_abcdefgh12345")
    log.info("db postgresql+asyncpg://shop:hunter2@db:5432/prilavok password=hunter2")
    try:
        raise ValueError("token=s3cr3t-value for 89123456789")
    except ValueError:
        log.exception("failed")
    log.info("order 12465 of 2026-12-02 01:39:03 for 8450 rub")
    err = capsys.readouterr().err
    for secret in ("AAHdqTcv", "345-67", "pk_live_abcdefgh", "hunter2", "s3cr3t", "891234567"):
        assert secret not in err, err
    assert "***89" in err and "<telegram-token>" in err
    assert "order 12465 of 2026-12-02 01:39:03 for 8450 rub" in err  # not taken for a phone


def test_no_duplicated_lines_and_repeats_folded(capsys: pytest.CaptureFixture[str]) -> None:
    logging.basicConfig()  # a library that configured logging first
    logs.configure("INFO", "text")
    logs.configure("INFO", "text")  # and configured twice
    log = logging.getLogger("prilavok.test")
    for _ in range(50):
        log.error("delivery pass failed")
    log.info("next")
    lines = capsys.readouterr().err.splitlines()
    assert sum("delivery pass failed" in line for line in lines) == 1
    assert lines[-1].endswith("next (the previous line repeated 49 times)")


def test_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO", "json")
    logging.getLogger("prilavok.test").warning("visitor %s on +79123456789", 7)
    (line,) = capsys.readouterr().err.splitlines()
    record = json.loads(line)
    assert record["levelname"] == "WARNING" and record["name"] == "prilavok.test"
    assert record["message"] == "visitor 7 on ***89"
