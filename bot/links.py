"""Personal page addresses, short codes and deep-link tokens."""

from __future__ import annotations

import base64
import secrets
from urllib.parse import quote

from slugify import slugify

_CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: codes get read aloud
# 12 symbols of 32: 60 bits, so codes cannot be guessed. Codes of 8 made before
# keep working: a code is looked up as it is, whatever its length.
CODE_LENGTH = 12
# Base32 turns each 5 random bytes into 8 symbols of 32, uniformly; they are then renamed into
# the alphabet above (both have 32 symbols), which is as random as secrets.choice() per symbol.
_FROM_BASE32 = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _CODE_ALPHABET)


def new_codes(n: int) -> list[str]:
    """n random codes at once: planning needs hundreds of thousands."""
    groups = -(-n * CODE_LENGTH // 8)  # whole groups of 5 bytes = 8 symbols
    text = base64.b32encode(secrets.token_bytes(groups * 5)).decode().translate(_FROM_BASE32)
    return [text[i : i + CODE_LENGTH] for i in range(0, n * CODE_LENGTH, CODE_LENGTH)]


def new_code() -> str:
    return new_codes(1)[0]


def name_slug(name: str) -> str:
    """'Иван Петров' → 'ivan-petrov': a transliterated name for the page's address."""
    # The backend named, not "auto": auto tries to import Unidecode on every call (a failed
    # import is not cached, and costs nine tenths of the call), and an installed Unidecode
    # would silently change the slugs of pages already sent. text-unidecode is what auto
    # falls back to, and it ships with python-slugify.
    return slugify(name, max_length=40, word_boundary=True, backend="text-unidecode") or "offer"


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
