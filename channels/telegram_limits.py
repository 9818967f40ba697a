"""Telegram's text limit, without importing aiogram (slow to load, and heavy)."""

from __future__ import annotations

# A message's text may hold at most this many characters (Bot API sendMessage).
MAX_TEXT = 4096


def fits(text: str) -> bool:
    return len(text) <= MAX_TEXT
