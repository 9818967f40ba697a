"""One error type for the domain; the edges turn it into an ack, an error event or HTTP."""

from __future__ import annotations

import traceback


class ConsultError(Exception):
    """A request the domain refuses; `code` is stable and shown to clients."""

    http_status = 400

    def __init__(self, code: str, message: str, http_status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        if http_status is not None:
            self.http_status = http_status

    def as_dict(self) -> dict[str, str | int]:
        return {"code": self.code, "message": self.message}


class RateLimited(ConsultError):
    """A limit is reached; `retry_after` seconds later it is not (HTTP 429 with Retry-After)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("rate_limited", f"too many requests; retry in {retry_after} s", 429)
        self.retry_after = retry_after

    def as_dict(self) -> dict[str, str | int]:
        return {**super().as_dict(), "retry_after": self.retry_after}


def invalid(message: str) -> ConsultError:
    return ConsultError("invalid_payload", message)


def not_found(what: str) -> ConsultError:
    return ConsultError("not_found", f"{what} not found", 404)


def forbidden(message: str) -> ConsultError:
    return ConsultError("forbidden", message, 403)


def one_line(exc: BaseException) -> str:
    """An unexpected exception for a log line: its type, message and innermost frame."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name}" if frames else ""
    return f"{type(exc).__name__}: {str(exc)[:300]}{where}"
