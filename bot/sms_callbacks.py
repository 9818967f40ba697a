"""SMS.ru's status callback: unsigned, so its address carries a secret; it must answer "100"."""

from __future__ import annotations

import hmac
import logging

from aiohttp import web

from prilavok.bot import signals
from prilavok.bot.context import Offers
from prilavok.channels.sms import parse_smsru_callback
from prilavok.consult.kernel import http_input
from prilavok.consult.kernel.errors import ConsultError

log = logging.getLogger(__name__)


class SmsCallbacks:
    def __init__(self, ctx: Offers, secret: str) -> None:
        self.ctx = ctx
        self.secret = secret

    async def smsru(self, request: web.Request) -> web.Response:
        given = request.match_info["secret"].encode("utf-8", "replace")  # any text may come
        if not hmac.compare_digest(given, self.secret.encode()):
            raise web.HTTPForbidden()
        try:
            form = await http_input.form(request)
        except ConsultError as exc:
            # SMS.ru repeats a callback until it reads "100"; a malformed one never improves.
            log.warning("SMS.ru callback ignored: %s", exc.message)
            return web.Response(text="100")
        entries = [v for k, v in form.items() if k.startswith("data[")]
        found = dict(parse_smsru_callback(entries))
        if found:
            await signals.statuses(self.ctx, "sms", found)
        return web.Response(text="100")

    def register(self, app: web.Application) -> None:
        app.router.add_post("/bot/sms/smsru/{secret}", self.smsru)
