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

from prilavok.channels import telegram_limits
from prilavok.channels.errors import Blocked, RateLimited, Rejected, Unreachable
from prilavok.channels.message import Message, Sent

DEFAULT_API_BASE = "https://api.telegram.org"
# No link previews: Telegram's servers would fetch the personal page to draw one, and the
# message carries an "open" button anyway.
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class TelegramChannel:
    def __init__(self, token: str, api_base: str = DEFAULT_API_BASE, timeout: float = 20) -> None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_base.rstrip("/")))
        session.timeout = timeout
        self.bot = Bot(token, session=session)

    async def open(self) -> None:
        """aiogram opens its HTTP session on the first request."""

    async def close(self) -> None:
        await self.bot.session.close()

    def fits(self, text: str) -> bool:
        return telegram_limits.fits(text)

    async def send(self, message: Message) -> Sent:
        """Sends to the chat id in `message.to`, buttons inline; the id is Telegram's
        message_id. Raises channels.errors on failure."""
        markup = None
        if message.buttons:
            markup = InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(text=b.text, url=b.url, callback_data=b.reply)
                        for b in row
                    ]
                    for row in message.buttons
                ]
            )
        try:
            chat_id = int(message.to)
        except ValueError:
            raise Rejected(f"not a Telegram chat id: {message.to!r}") from None
        try:
            sent = await self.bot.send_message(
                chat_id, message.text, reply_markup=markup, link_preview_options=NO_PREVIEW
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
        return Sent(str(sent.message_id))
