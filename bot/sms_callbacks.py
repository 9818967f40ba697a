"""SMS.ru's status callback: unsigned, so its address carries a secret; it must answer "100"."""

from __future__ import annotations

import hmac

from aiohttp import web

from bot import signals
from bot.context import Offers
from channels.sms import parse_smsru_callback


class SmsCallbacks:
    def __init__(self, ctx: Offers, secret: str) -> None:
        self.ctx = ctx
        self.secret = secret

    async def smsru(self, request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.match_info["secret"], self.secret):
            raise web.HTTPForbidden()
        form = await request.post()
        entries = [str(v) for k, v in form.items() if k.startswith("data[")]
        found = dict(parse_smsru_callback(entries))
        if found:
            await signals.sms_statuses(self.ctx, found)
        return web.Response(text="100")

    def register(self, app: web.Application) -> None:
        app.router.add_post("/bot/sms/smsru/{secret}", self.smsru)
