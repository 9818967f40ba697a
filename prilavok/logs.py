"""Logging for a serving process: one handler, text or JSON lines, secrets and phone numbers
masked, and a burst of one repeated line folded into a count."""

from __future__ import annotations

import logging
import re
import sys
import time

from pythonjsonlogger.json import JsonFormatter

# Bot tokens (in Telegram's URLs too), our API keys, passwords in URLs and key=value pairs,
# and phone numbers (seven digits or more, as written by people) keep only their last digits.
_SECRETS = [
    (re.compile(r"\b(bot)?\d{6,12}:[A-Za-z0-9_-]{30,}"), "<telegram-token>"),
    (re.compile(r"\bpk_[A-Za-z0-9_-]{8,}"), "pk_<hidden>"),
    (re.compile(r"(://[^:/@\s]+:)[^@\s]+@"), r"\1***@"),
    (
        re.compile(
            r"((?:password|passwd|token|secret|api_id|auth_token)[\"']?\s*[=:]\s*[\"']?)"
            r"[^\s\"'&,}]+",
            re.I,
        ),
        r"\1***",
    ),
]
_PHONE = re.compile(
    r"(?<![\w/:.+-])(?:\+\d{1,3}|8|7)[\s(-]*\d{3}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*(\d{2})(?![\w:])"
)


def redact(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return _PHONE.sub(lambda m: "***" + m.group(1), text)


class Redacting(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if clean != message:
            record.msg, record.args = clean, None
        return True


class Folding(logging.Filter):
    """The same logger, level and message again within `window` seconds is counted, not
    written; the next different line (or the window's end) reports how many were folded."""

    def __init__(self, window: float = 10.0) -> None:
        super().__init__()
        self.window = window
        self._last: tuple[str, int, str] | None = None
        self._since = 0.0
        self._folded = 0

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, record.getMessage())
        now = time.monotonic()
        if key == self._last and now - self._since < self.window:
            self._folded += 1
            return False
        if self._folded:
            record.msg = f"{record.getMessage()} (the previous line repeated {self._folded} times)"
            record.args = None
        self._last, self._since, self._folded = key, now, 0
        return True


def configure(level: str = "INFO", fmt: str = "text") -> None:
    """Replaces any handlers set before (a library's basicConfig), so no line is written twice."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", timestamp=False)
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redacting())
    handler.addFilter(Folding())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Access lines for every socket.io poll would drown what matters.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    for name in ("alembic", "aiogram", "socketio", "engineio"):
        logging.getLogger(name).propagate = True
