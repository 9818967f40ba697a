"""Texts with {variables} and {variable|fallback}: hot replies and invitations."""

from __future__ import annotations

import re

VARIABLE = re.compile(r"\{([a-z_]+\.[a-z_]+)(?:\|([^{}]*))?\}")

# Said when a variable has no value and the template gave no fallback of its own.
FALLBACKS = {
    "ru": {
        "visitor.name": "гость",
        "operator.name": "консультант",
        "visitor.page": "эта страница",
        "cart.count": "0",
        "cart.total": "0 ₽",
    },
    "en": {
        "visitor.name": "there",
        "operator.name": "your consultant",
        "visitor.page": "this page",
        "cart.count": "0",
        "cart.total": "0 ₽",
    },
}


def money(amount: float) -> str:
    """34990 → '34 990 ₽' (a narrow no-break space between thousands)."""
    whole = f"{round(amount):,}".replace(",", "\u202f")
    return f"{whole} ₽"


def render(template: str, values: dict[str, str | None], locale: str | None = "ru") -> str:
    """Fills {name} and {name|fallback}; unknown names are left as typed so the author sees."""
    defaults = FALLBACKS.get((locale or "ru")[:2], FALLBACKS["en"])

    def fill(m: re.Match[str]) -> str:
        name, fallback = m.group(1), m.group(2)
        if name not in defaults:
            return m.group(0)
        value = (values.get(name) or "").strip()
        if value:
            return value
        return fallback if fallback is not None else defaults[name]

    return VARIABLE.sub(fill, template)
