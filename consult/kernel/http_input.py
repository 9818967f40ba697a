"""Reading what strangers send: JSON and form bodies, path ids, dates and time-zone names.

Every edge (HTTP routes, webhooks, socket events) reads input through here, so each kind of
malformed input is refused once, with a 4xx and a code, before it reaches the domain or a
database: NUL characters (PostgreSQL text cannot hold them), lone surrogates (not UTF-8),
integers beyond 64 bits, non-finite numbers, nesting deeper than MAX_DEPTH, dates whose
arithmetic would overflow, unknown or absurd time-zone names.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

import orjson
from aiohttp import web
from multidict import MultiDictProxy

from prilavok.consult.kernel.errors import ConsultError, invalid, not_found

MAX_DEPTH = 32
INT64 = 2**63
# Far enough from the ends of every date type that a period of a year either side computes.
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)
MAX_ZONE_NAME = 64
NAME_MAX = 255  # bytes of one file name on Linux file systems; longer ones make stat() fail
_DIGITS = re.compile(r"[0-9]{1,19}")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def check_text(value: str, where: str = "payload") -> str:
    if "\x00" in value:
        raise invalid(f"{where}: NUL characters are not allowed")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid(f"{where}: not valid Unicode (a lone surrogate)") from None
    return value


def check_tree(value: Any, where: str = "payload") -> Any:
    """`value` (decoded JSON), or `invalid_payload` naming what no field may hold."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise invalid(f"{where}: nested deeper than {MAX_DEPTH}")
        if isinstance(item, str):
            check_text(item, where)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not -INT64 <= item < INT64:
                raise invalid(f"{where}: a number beyond 64 bits")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise invalid(f"{where}: numbers are finite")
        elif isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    raise invalid(f"{where}: keys are strings")
                check_text(key, where)
                stack.append((child, depth + 1))
        elif isinstance(item, list | tuple):
            stack.extend((child, depth + 1) for child in item)
        else:  # bytes from a binary socket.io packet, say
            raise invalid(f"{where}: unexpected {type(item).__name__}")
    return value


def parse_json(raw: bytes | str) -> Any:
    try:
        data = orjson.loads(raw)  # refuses lone surrogates and nesting past 1024 itself
    except orjson.JSONDecodeError:
        raise invalid("the body is not JSON (UTF-8, no lone surrogates)") from None
    return check_tree(data, "body")


async def json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object. JSON only: a cross-site form cannot send it without a CORS
    preflight we never allow. Bodies past the app's client_max_size get 413."""
    if request.content_type != "application/json":
        raise ConsultError("unsupported_media_type", "send application/json", 415)
    data = parse_json(await request.read())
    if not isinstance(data, dict):
        raise invalid("expected a JSON object")
    return data


async def form(request: web.Request) -> MultiDictProxy[str]:
    """A posted form's fields (text only), or 4xx: no multipart boundary, a file, bad text."""
    if request.content_type not in FORM_TYPES:
        raise ConsultError("unsupported_media_type", "send a form", 415)
    if request.content_type == "multipart/form-data" and "boundary=" not in (
        request.headers.get("Content-Type") or ""
    ):
        raise invalid("a multipart form without its boundary")
    try:
        fields = await request.post()
    except (ValueError, AssertionError, UnicodeDecodeError):
        raise invalid("not a readable form") from None
    for key, value in fields.items():
        if not isinstance(value, str):
            raise invalid(f"{key}: files are not accepted")
        check_text(key, "form")
        check_text(value, key)
    return fields  # type: ignore[return-value]


def path_id(request: web.Request, what: str, name: str = "id") -> int:
    """A row id from the path: decimal, 1 to 2^63-1; anything else is a row that is not there."""
    raw = request.match_info[name]
    if not _DIGITS.fullmatch(raw) or not 0 < int(raw) < INT64:
        raise not_found(what)
    return int(raw)


def day(raw: str | None, default: date, name: str) -> date:
    if not raw:
        return default
    try:
        value = date.fromisoformat(check_text(raw, name))
    except ValueError:
        raise invalid(f"{name}: not YYYY-MM-DD") from None
    if not EARLIEST <= value <= LATEST:
        raise invalid(f"{name}: between {EARLIEST} and {LATEST}")
    return value


def moment(raw: str | None, default: datetime, name: str) -> datetime:
    if not raw:
        return default
    try:
        value = datetime.fromisoformat(check_text(raw, name))
    except ValueError:
        raise invalid(f"{name}: not an ISO 8601 date and time") from None
    if not EARLIEST <= value.date() <= LATEST:
        raise invalid(f"{name}: between {EARLIEST} and {LATEST}")
    return value


def check_moment(value: datetime | None, name: str) -> datetime | None:
    """A parsed date and time (pydantic's, say) within the range that dates are computed in."""
    if value is not None and not EARLIEST <= value.date() <= LATEST:
        raise invalid(f"{name}: between {EARLIEST} and {LATEST}")
    return value


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_name(value: str) -> str:
    """An IANA time-zone name that this machine knows; raises ValueError (for validators)."""
    if len(value) > MAX_ZONE_NAME or value not in _zones():
        raise ValueError(f"unknown time zone {value[:MAX_ZONE_NAME]!r}")
    return value


class _BoundedStatic(web.StaticResource):
    """aiohttp's static files, where a name no file system can hold is simply not found
    (aiohttp lets stat() fail with ENAMETOOLONG, a 500)."""

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        tail = request.match_info.get("filename", "")
        if any(len(part.encode("utf-8", "replace")) > NAME_MAX for part in tail.split("/")):
            raise web.HTTPNotFound()
        return await super()._handle(request)


def add_static(router: web.UrlDispatcher, prefix: str, directory: Path) -> web.StaticResource:
    resource = _BoundedStatic(prefix.rstrip("/"), directory)  # as router.add_static does
    router.register_resource(resource)
    return resource
