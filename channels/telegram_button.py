"""Telegram message limits and button description, without importing aiogram (slow to load)."""

from __future__ import annotations

from dataclasses import dataclass

# A message's text may hold at most this many characters (Bot API sendMessage).
MAX_TEXT = 4096


@dataclass(frozen=True)
class Button:
    text: str
    url: str | None = None
    callback_data: str | None = None  # at most 64 bytes
