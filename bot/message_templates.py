"""Offer texts: sandboxed Jinja2 templates rendered per customer, fitted to each channel."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from channels import telegram_button, viber
from channels.sms import segments
from consult.errors import ConsultError

# Sandboxed: attributes like __class__ or func_globals raise SecurityError, so a shop's template
# cannot reach Python internals. Plain text out: each channel shows it as text, not markup.
_env = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined)

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
    try:
        return _compiled(source).render(**variables).strip()
    except TemplateError as exc:
        raise ConsultError("invalid_template", f"template: {exc}") from None


def check(source: str, sample: dict[str, Any] | None = None) -> None:
    """Refuses a template that does not parse, uses unknown variables or escapes the sandbox."""
    if not source or not source.strip():
        raise ConsultError("invalid_template", "the template is empty")
    render(source, sample or SAMPLE)


def fits(channel: str, max_segments: int) -> Callable[[str], bool]:
    if channel == "sms":
        return lambda text: segments(text) <= max_segments
    limit = telegram_button.MAX_TEXT if channel == "telegram" else viber.MAX_TEXT
    return lambda text: len(text) <= limit


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
