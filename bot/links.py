"""Personal page addresses, short codes and deep-link tokens."""

from __future__ import annotations

import secrets
from urllib.parse import quote

from slugify import slugify

_CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: codes get read aloud
CODE_LENGTH = 8


def new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))


def name_slug(name: str) -> str:
    """'Иван Петров' → 'ivan-petrov': a transliterated name for the page's address."""
    return slugify(name, max_length=40, word_boundary=True) or "offer"


def page_path(slug: str, code: str) -> str:
    return f"/m/{slug}-{code}"


def page_url(public_url: str, slug: str, code: str) -> str:
    return public_url.rstrip("/") + page_path(slug, code)


def code_from_tail(tail: str) -> str:
    """The code is what follows the last dash of /m/<slug>-<code>."""
    return tail.rsplit("-", 1)[-1]


def new_link_token() -> str:
    # token_urlsafe uses A-Za-z0-9_- only; 32 characters fit Telegram's 64-character start limit.
    return secrets.token_urlsafe(24)


def telegram_link(bot_username: str, token: str) -> str | None:
    return f"https://t.me/{bot_username}?start={token}" if bot_username else None


def viber_link(chat_uri: str, token: str) -> str | None:
    return f"viber://pa?chatURI={quote(chat_uri)}&context={token}" if chat_uri else None
