"""Planning a big campaign, measured in a process of its own so that its peak RSS is its own.

python -m bench.planning seed DATABASE_URL N   # N consenting customers and N/10 who are not
python -m bench.planning plan DATABASE_URL [--render]

`seed` migrates the (empty) database and fills it with fast bulk inserts; it is not measured.
`plan` times `bot.planning.create` — the same call `POST /api/v1/offers` makes: the SKU check,
eligibility, slugs, codes and the delivery rows, in one transaction — and prints one JSON
object: seconds, rows written, RSS before and peak RSS (`ru_maxrss`, the whole process).
Texts are not rendered at planning (the worker renders each at send time, for the channel of
that moment); `--render` then times exactly that, `bot.compose.compose` for every planned row,
as a separate figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psutil
from sqlalchemy import func, insert, select

from prilavok.bot import links, planning
from prilavok.bot.channel_registry import TELEGRAM, Channel
from prilavok.bot.compose import compose
from prilavok.bot.context import Offers, OffersConfig
from prilavok.channels import telegram_limits
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.notifier import RecordingNotifier
from prilavok.storage.db import create_engine, migrate, sessionmaker
from prilavok.storage.models import Customer, Delivery, Offer, Product

SHOP = "bench-shop"
SKU = "case-12"
TEMPLATE = (
    "{{ customer.first_name }}, к вашему телефону подойдёт {{ product.title }} "
    "за {{ product.price }} ₽. {{ product.description }}"
)
FIRST = (
    "Иван Пётр Анна Мария Ольга Сергей Алексей Дмитрий Елена Наталья Юлия Андрей Михаил "
    "Татьяна Ирина Светлана Николай Павел Егор Ксения Дарья Виктор Роман Алёна Глеб"
).split()
SYLLABLES = "ко ва ле ро ми на ту се за бо ди че го ша лу ре мо ки фе жу".split()
ENDINGS = ("ов", "ев", "ин", "ский", "енко", "ова", "ева", "ина")
CHUNK = 10_000


def _last_names(rng: random.Random, n: int) -> list[str]:
    out: set[str] = set()
    while len(out) < n:
        stem = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3)))
        out.add(stem.capitalize() + rng.choice(ENDINGS))
    return sorted(out)


def _customer(i: int, name: str, consent: tuple[bool, bool, bool]) -> dict[str, Any]:
    return {
        "shop_id": SHOP,
        "name": name,
        "phone": f"+7900{i:07d}",
        "timezone": "Europe/Moscow",
        "consent_telegram": consent[0],
        "consent_viber": consent[1],
        "consent_sms": consent[2],
        "link_token": links.new_link_token(),
        "telegram_chat_id": 10_000_000 + i if consent[0] else None,
        "telegram_blocked": False,
        "unread_streak": 0,
        "exhausted": "",
    }


async def seed(url: str, n: int) -> dict[str, Any]:
    """n customers with consent in some channel (mixed), then n/10 with none, interleaved."""
    rng = random.Random(5)
    # Names repeat as in a real shop, and slugify is the slow part of planning: with about
    # 2,000 last names and 25 first names most of 500,000 names are not unique, but tens of
    # thousands are distinct (the figure is reported).
    last = _last_names(rng, 2_000)
    engine = create_engine(url)
    try:
        await migrate(engine)
        total = n + n // 10
        names: set[str] = set()
        async with engine.begin() as conn:
            await conn.execute(
                insert(Product),
                [{"shop_id": SHOP, "sku": SKU, "title": "Чехол для iPhone 12", "stock": 1_000,
                  "price": Decimal("990.00"), "description": "Противоударный, с MagSafe."}],
            )  # fmt: skip
            eligible = 0
            for start in range(0, total, CHUNK):
                rows = []
                for i in range(start, min(total, start + CHUNK)):
                    name = f"{rng.choice(FIRST)} {rng.choice(last)}"
                    if i % 11 == 10 or eligible >= n:  # one in eleven consents to nothing
                        consent = (False, False, False)
                    else:
                        consent = (False, False, False)
                        while not any(consent):
                            consent = (rng.random() < 0.6, rng.random() < 0.3, rng.random() < 0.7)
                        eligible += 1
                        names.add(name)
                    rows.append(_customer(i, name, consent))
                await conn.execute(insert(Customer), rows)
        return {"customers": total, "eligible": eligible, "distinct_names": len(names)}
    finally:
        await engine.dispose()


def _mib(n_bytes: float) -> float:
    return round(n_bytes / 2**20, 1)


async def plan(url: str, render: bool) -> dict[str, Any]:
    rss_before = psutil.Process().memory_info().rss
    engine = create_engine(url)
    ctx = Offers(deps=Deps(sessionmaker(engine), RecordingNotifier()), config=OffersConfig())
    try:
        new = planning.parse({"title": "Чехол к новому телефону", "sku": SKU, "template": TEMPLATE})
        began = time.perf_counter()
        result = await planning.create(ctx, SHOP, new)
        offer, planned = result.offer, result.planned
        seconds = time.perf_counter() - began
        # ru_maxrss is in KiB on Linux: the peak of the whole process, imports included.
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        async with ctx.deps.sessions() as session:
            written = await session.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.offer_id == offer.id)
            )
        out: dict[str, Any] = {
            "planned": planned,
            "rows_written": written,
            "seconds": round(seconds, 2),
            "rows_per_second": round(planned / seconds) if seconds else None,
            "rss_before_mib": _mib(rss_before),
            "peak_rss_mib": _mib(peak),
        }
        if render:
            out["render"] = await _render(ctx, offer)
        return out
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class _Limits:
    fits: Callable[[str], bool]


async def _render(ctx: Offers, offer: Offer) -> dict[str, Any]:
    """Every planned row's Telegram text and buttons through `compose`, as the worker makes
    them at send time; rows are read in chunks (not timed) and rendered (timed)."""
    rendered, chars, seconds = 0, 0, 0.0
    # compose asks the transport only whether a text fits; Telegram's own class would load
    # aiogram, whose memory would count in the peak RSS.
    telegram = Channel("telegram", _Limits(telegram_limits.fits), TELEGRAM)  # type: ignore[arg-type]
    async with ctx.deps.sessions() as session:
        product = await session.scalar(select(Product).where(Product.sku == offer.sku))
        assert product is not None
        query = (
            select(Delivery.id, Delivery.slug, Delivery.code, Customer.name, Customer.phone)
            .join(Customer, Customer.id == Delivery.customer_id)
            .where(Delivery.offer_id == offer.id)
            .order_by(Delivery.id)
            .execution_options(yield_per=CHUNK)
        )
        result = await session.stream(query)
        async for part in result.partitions():
            # Detached ORM objects with just what compose reads, as the worker's loaded rows.
            pairs = [
                (
                    Delivery(id=d_id, slug=slug, code=code),
                    Customer(name=name, phone=phone, telegram_chat_id=1),
                )
                for d_id, slug, code, name, phone in part
            ]
            began = time.perf_counter()
            for d, customer in pairs:
                out = compose(ctx.config, telegram, d, customer, offer, product)
                chars += len(out.message.text)
            seconds += time.perf_counter() - began
            rendered += len(pairs)
    return {
        "channel": "telegram",
        "messages": rendered,
        "seconds": round(seconds, 2),
        "per_second": round(rendered / seconds) if seconds else None,
        "average_chars": round(chars / rendered) if rendered else None,
        "peak_rss_mib": _mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024),
    }


def main() -> None:
    p = argparse.ArgumentParser(prog="bench.planning", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("seed")
    s.add_argument("url")
    s.add_argument("customers", type=int)
    pl = sub.add_parser("plan")
    pl.add_argument("url")
    pl.add_argument("--render", action="store_true")
    args = p.parse_args()
    if args.command == "seed":
        result = asyncio.run(seed(args.url, args.customers))
    else:
        result = asyncio.run(plan(args.url, args.render))
    print(json.dumps(result), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
