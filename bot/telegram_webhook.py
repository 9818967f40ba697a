"""Telegram's webhook: aiogram's handler, with malformed updates answered 200 and ignored.

Telegram resends an update until it gets a 2xx, so an update that cannot be read (not JSON,
not an Update, text no database can store) is logged in one line and acknowledged: resending
it would never help. The secret header is still checked first (401 without it).
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from pydantic import ValidationError

from prilavok.consult.kernel.errors import ConsultError
from prilavok.consult.kernel.http_input import parse_json

log = logging.getLogger(__name__)


class TelegramWebhook(SimpleRequestHandler):
    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        update = await self._read(bot, request)
        if update is None:
            return web.json_response({})
        result = await self.dispatcher.feed_webhook_update(bot, update, **self.data)
        return web.Response(body=self._build_response_writer(bot=bot, result=result))

    async def _read(self, bot: Bot, request: web.Request) -> Update | None:
        try:
            data: Any = parse_json(await request.read())
            return Update.model_validate(data, context={"bot": bot})
        except ConsultError as exc:
            log.warning("telegram update ignored: %s", exc.message)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            log.warning("telegram update ignored: %s: %s", where, first["msg"])
        return None
