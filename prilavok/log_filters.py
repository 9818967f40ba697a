"""One log line per refused request or packet, not a traceback.

aiohttp logs every malformed HTTP request it answers 400 (a request line too long, bad
headers) with a traceback, and engine.io/python-socketio log every packet they cannot decode
the same way: a stranger could fill the log at will. This filter keeps the record, level and
message, and folds the exception into one line. Tracebacks of anything else stay whole.
"""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import HttpProcessingError

from prilavok.consult.kernel.errors import one_line

# engine.io / Socket.IO log malformed packets through these (exceptions in our own handlers
# never get there: consult/kernel/namespace.py answers them).
SOCKET_LOGGERS = ("engineio.server", "socketio.server")
HTTP_LOGGERS = ("aiohttp.server",)


class OneLine(logging.Filter):
    def __init__(self, every_exception: bool) -> None:
        super().__init__()
        self.every_exception = every_exception

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None:
            return True
        if self.every_exception or (
            isinstance(exc, HttpProcessingError) and 400 <= (exc.code or 0) < 500
        ):
            record.msg = f"{record.getMessage()}: {one_line(exc)}"
            record.args = ()
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def install() -> None:
    """Idempotent: tests build many apps in one process."""
    for names, every in ((SOCKET_LOGGERS, True), (HTTP_LOGGERS, False)):
        for name in names:
            logger = logging.getLogger(name)
            if not any(isinstance(f, OneLine) for f in logger.filters):
                logger.addFilter(OneLine(every))
