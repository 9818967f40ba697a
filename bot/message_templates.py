"""Offer texts: sandboxed Jinja2 templates rendered per customer, fitted to each channel.

Templates come from the shop's API key, so each render is bounded (`bot/template_limits.py`)
and runs on threads of its own (`off_loop`), never in the event loop that serves the chats.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache, partial
from typing import Any, TypeVar

from jinja2 import StrictUndefined, Template, TemplateError

from prilavok.bot.template_limits import (
    MAX_SOURCE,
    TIME_LIMIT,
    BoundedSandbox,
    TooCostly,
    within_budget,
)
from prilavok.consult.kernel.errors import ConsultError

T = TypeVar("T")

# Sandboxed: attributes like __class__ or func_globals raise SecurityError, so a shop's template
# cannot reach Python internals. Plain text out: each channel shows it as text, not markup.
_env = BoundedSandbox(autoescape=False, undefined=StrictUndefined)
# Renders run here: a template at its limits holds one of these threads, not the event loop.
THREADS = 2
_threads = ThreadPoolExecutor(THREADS, thread_name_prefix="offer-templates")
# Wall-clock seconds a caller waits for a render: a queue ahead of it and a starved machine
# included. A wait this long is an overload, not a verdict on the template.
WAIT_LIMIT = 4 * TIME_LIMIT + 5

SAMPLE = {
    "customer": {"name": "Иван Петров", "first_name": "Иван"},
    "product": {"title": "Чехол", "price": "990", "description": ""},
    "offer": {"title": "Оффер"},
    "link": "https://example.com/m/ivan-petrov-abcd2345",
}


@lru_cache(maxsize=256)
def _compiled(source: str) -> Template:
    return _env.from_string(source)


def render(source: str, variables: dict[str, Any]) -> str:
    """The text, or `template_too_costly` past a limit, `invalid_template` on any other error."""
    if len(source) > MAX_SOURCE:
        raise ConsultError("template_too_costly", f"a template is at most {MAX_SOURCE} characters")
    try:
        template = _compiled(source)
        return within_budget(partial(template.generate, **variables)).strip()
    except TooCostly as exc:
        raise ConsultError("template_too_costly", f"template: {exc}") from None
    except TemplateError as exc:
        raise ConsultError("invalid_template", f"template: {exc}") from None
    except (RecursionError, MemoryError, ArithmeticError, ValueError, TypeError) as exc:
        # What sandboxed code can still raise: deep macros, int-to-str limits, bad operands.
        raise ConsultError("invalid_template", f"template: {type(exc).__name__}") from None


def check(source: str, sample: dict[str, Any] | None = None) -> None:
    """Refuses a template that does not parse, uses unknown variables, escapes the sandbox or
    goes past a limit with sample data (`sample`: a journey's own variables)."""
    if not source or not source.strip():
        raise ConsultError("invalid_template", "the template is empty")
    render(source, sample or SAMPLE)


class RenderBusy(ConsultError):
    """The template threads did not answer in time. Each render stops itself after TIME_LIMIT
    of its own CPU, so this says the process is overloaded, not that the template is bad:
    try again later (503 to an API caller; the worker puts the message back)."""

    def __init__(self) -> None:
        super().__init__("server_busy", "rendering did not finish in time: try again", 503)


async def off_loop(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` on the template threads. Each render stops itself at TIME_LIMIT of CPU; the
    wait is bounded too, in case a thread is held up (RenderBusy)."""
    loop = asyncio.get_running_loop()
    try:
        return await asyncio.wait_for(loop.run_in_executor(_threads, fn, *args), WAIT_LIMIT)
    except TimeoutError:
        raise RenderBusy() from None


def with_link(body: str, link: str, ok: Callable[[str], bool]) -> str:
    """The body, shortened with an ellipsis if needed, and the link (kept whole) after it."""
    if link in body and ok(body):
        return body
    body = body.replace(link, "").strip()
    full = f"{body}\n{link}" if body else link
    if ok(full):
        return full
    lo, hi = 0, len(body)
    while lo < hi:  # the longest prefix that still fits
        mid = (lo + hi + 1) // 2
        if ok(f"{body[:mid].rstrip()}…\n{link}"):
            lo = mid
        else:
            hi = mid - 1
    return f"{body[:lo].rstrip()}…\n{link}" if lo else link
