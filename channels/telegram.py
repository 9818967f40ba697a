"""Telegram over aiogram's Bot, pointed at any Bot API server (Telegram's, a local one, a fake)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from prilavok.channels.errors import Blocked, RateLimited, Rejected, Unreachable
from prilavok.channels.telegram_button import MAX_TEXT, Button

__all__ = ["MAX_TEXT", "Button", "TelegramChannel"]

DEFAULT_API_BASE = "https://api.telegram.org"
# No link previews: Telegram's servers would fetch the personal page to draw one, and the
# message carries an "open" button anyway.
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class TelegramChannel:
    def __init__(self, token: str, api_base: str = DEFAULT_API_BASE, timeout: float = 20) -> None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_base.rstrip("/")))
        session.timeout = timeout
        self.bot = Bot(token, session=session)

    async def close(self) -> None:
        await self.bot.session.close()

    async def send(self, chat_id: int, text: str, buttons: list[list[Button]] | None = None) -> str:
        """Sends a message; returns its message_id. Raises channels.errors on failure."""
        markup = None
        if buttons:
            markup = InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(text=b.text, url=b.url, callback_data=b.callback_data)
                        for b in row
                    ]
                    for row in buttons
                ]
            )
        try:
            sent = await self.bot.send_message(
                chat_id, text, reply_markup=markup, link_preview_options=NO_PREVIEW
            )
        except TelegramRetryAfter as exc:
            raise RateLimited(float(exc.retry_after), exc.message) from exc
        except TelegramForbiddenError as exc:
            # 403 "bot was blocked by the user" / "user is deactivated".
            raise Blocked(exc.message) from exc
        except TelegramBadRequest as exc:
            if "chat not found" in exc.message.lower():
                raise Blocked(exc.message) from exc
            raise Rejected(exc.message) from exc
        except (TelegramNetworkError, TelegramServerError) as exc:
            raise Unreachable(exc.message) from exc
        except TelegramAPIError as exc:
            raise Unreachable(exc.message) from exc
        return str(sent.message_id)
