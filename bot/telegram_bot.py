"""The Telegram side that listens: /start <token> links; /stop, a stop word or the "Отписаться"
button opts out of every channel; buttons count as reads.

Served as a webhook inside the app (the secret header is checked by aiogram's handler) or by
long polling (`prilavok bot poll`).
"""

from __future__ import annotations

import logging
import re

from aiogram import Dispatcher, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message
from sqlalchemy import select

from prilavok.bot import customers, signals, staff
from prilavok.bot.context import Offers
from prilavok.consult.kernel.errors import ConsultError
from prilavok.storage.models import Customer

log = logging.getLogger(__name__)

TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
LINKED = "Готово! Сюда будут приходить персональные предложения. Отписаться: /stop"
LINKED_STOPPED = (
    "Аккаунт привязан, но вы отписались от предложений: магазин снова сможет их присылать, "
    "когда вы сообщите ему о согласии."
)
UNKNOWN = "Ссылка устарела или неверна. Попросите в магазине новую."
STOPPED = "Вы отписались от предложений магазина — во всех каналах: Telegram, Viber и SMS."
CALLING = "Спасибо! Мы скоро перезвоним."
NOTED = "Поняли, больше такого не предложим."


def build_dispatcher(ctx: Offers) -> Dispatcher:
    router = Router(name="offers")

    @router.message(CommandStart(deep_link=True))
    async def start(message: Message, command: CommandObject) -> None:
        token = command.args or ""
        customer = None
        if TOKEN.match(token):
            customer = await customers.link_telegram(ctx, token, message.chat.id)
        if customer is None:
            await message.answer(UNKNOWN)
        else:
            await message.answer(LINKED_STOPPED if customer.opted_out_at else LINKED)

    async def opt_out(chat_id: int, how: str) -> None:
        async with ctx.deps.sessions() as session:
            ids = list(
                await session.scalars(
                    select(Customer.id).where(Customer.telegram_chat_id == chat_id)
                )
            )
        for customer_id in ids:
            await customers.opt_out(ctx, customer_id, "telegram", how)

    @router.message(Command("stop"))
    async def stop(message: Message) -> None:
        await opt_out(message.chat.id, "/stop")
        await message.answer(STOPPED)

    @router.message(F.text.func(customers.is_stop))
    async def stop_word(message: Message) -> None:
        await opt_out(message.chat.id, f"stop word {(message.text or '').strip()[:20]!r}")
        await message.answer(STOPPED)

    @router.callback_query(F.data.regexp(r"^stop:[a-z0-9]{1,16}$"))
    async def stop_button(query: CallbackQuery) -> None:
        chat_id = query.message.chat.id if query.message else query.from_user.id
        await opt_out(chat_id, "unsubscribe button")
        await query.answer(STOPPED)

    @router.callback_query(F.data.regexp(r"^(cb|no):[a-z0-9]{1,16}$"))
    async def button(query: CallbackQuery) -> None:
        action, code = (query.data or "").split(":", 1)
        chat_id = query.message.chat.id if query.message else query.from_user.id
        d = await signals.telegram_button(
            ctx, code, chat_id, "callback" if action == "cb" else "not_interested"
        )
        if d is None:
            await query.answer()
            return
        if action == "cb":
            try:
                await staff.request_callback(ctx, d.id, "telegram")
            except ConsultError as exc:
                log.warning("callback from telegram refused: %s", exc.message)
            await query.answer(CALLING)
        else:
            await query.answer(NOTED)

    dp = Dispatcher()
    dp.include_router(router)
    return dp
