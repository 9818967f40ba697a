"""The offer calendar at scale, measured in a process of its own so its memory is its own.

python -m bench.calendar seed DATABASE_URL N P   # N customers, P past purchases over 2 years
python -m bench.calendar plan DATABASE_URL       # one planning pass over the whole history

`seed` migrates the (empty) database and fills it with bulk inserts (not measured): a
catalog of 300 goods in 12 categories (a tenth out of stock, half of those with an analogue),
N consenting customers, P purchase lines spread evenly over the two years before now, each
customer's first a device, and six calendar rules (cases and glass by two price bands, a
charger, a power bank, the newer model after 720 days, gifts). `plan` times
`bot.calendar_plan.plan` — the pass the server runs — and prints one JSON object: what was
planned, `plan_seconds`, the process's CPU seconds (the aiosqlite thread's included; on a
loaded machine the wall time grows, this much less), RSS before the pass and its peak during
the pass (sampled every 0.2 s, `/proc` through psutil; `ru_maxrss` is the whole process's).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psutil
from sqlalchemy import func, insert, select

from prilavok.bot import calendar_plan, links
from prilavok.bot.context import Offers, OffersConfig
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.notifier import RecordingNotifier
from prilavok.storage.db import create_engine, migrate, sessionmaker
from prilavok.storage.models import CalendarRule, Customer, Delivery, Product, PurchaseLine

SHOP = "bench-shop"
CHUNK = 10_000
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
DEVICES = ("phones", "tablets", "watches")
ACCESSORIES = ("cases", "glass", "chargers", "powerbanks", "cards", "holders", "sticks",
               "warranty", "setup")  # fmt: skip
TEXT = "{{ customer.first_name }}, для вас: {{ product.title }} за {{ product.price }} ₽"
RULES = [
    ("Чехол (до 20 000)", "accessory", "phones", None, 20000, "cases", 30),
    ("Чехол (от 20 000)", "accessory", "phones", 20000, None, "cases", 45),
    ("Стекло", "accessory", "phones", None, None, "glass", 60),
    ("Зарядка", "accessory", "tablets", None, None, "chargers", 14),
    ("Аккумулятор", "accessory", "phones", 15000, None, "powerbanks", 90),
    ("Новая модель", "upgrade", "phones", None, None, None, 720),
    ("Подарок", "gift", "phones", None, None, None, 3),
]


class StillClock:
    def now(self) -> datetime:
        return NOW

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)


def _ctx(url: str) -> Offers:
    engine = create_engine(url)
    return Offers(Deps(sessionmaker(engine), RecordingNotifier()), OffersConfig(), StillClock())


async def seed(url: str, n: int, purchases: int) -> dict[str, Any]:
    ctx = _ctx(url)
    engine = ctx.deps.sessions.kw["bind"]
    await migrate(engine)
    rng = random.Random(7)
    goods: list[tuple[str, str, int]] = []
    async with ctx.deps.write() as session:
        rows = []
        for c, category in enumerate(DEVICES + ACCESSORIES):
            device = category in DEVICES
            for i in range(25):
                sku = f"{category}-{i}"
                price = (5000 + 2000 * i) if device else (300 + 90 * i)
                out = rng.random() < 0.1
                rows.append({"shop_id": SHOP, "sku": sku, "title": f"{category} {i}",
                             "price": Decimal(price), "stock": 0 if out else 50,
                             "analogue_sku": f"{category}-{(i + 1) % 25}" if out and i % 2
                             else None, "category": category, "description": ""})  # fmt: skip
                goods.append((sku, category, price))
            del c
        await session.execute(insert(Product), rows)
        for name, kind, cat, low, high, offer_cat, delay in RULES:
            session.add(CalendarRule(shop_id=SHOP, name=name, kind=kind, category=cat,
                                     price_min=low, price_max=high, offer_category=offer_cat,
                                     delay_days=delay, enabled=True, holdout_percent=10,
                                     template=TEXT if kind != "gift" else "",
                                     updated_at=NOW))  # fmt: skip
    tokens = [links.new_link_token() for _ in range(min(n, CHUNK))]
    for start in range(0, n, CHUNK):
        async with ctx.deps.write() as session:
            await session.execute(
                insert(Customer),
                [{"shop_id": SHOP, "name": f"Покупатель {i}", "phone": f"+7900{i:07d}",
                  "external_id": f"k{i}", "timezone": "Europe/Moscow", "consent_sms": True,
                  "consent_telegram": False, "consent_viber": False, "telegram_blocked": False,
                  "link_token": f"{tokens[i % len(tokens)]}{i}", "unread_streak": 0,
                  "exhausted": ""}
                 for i in range(start, min(n, start + CHUNK))],
            )  # fmt: skip
    async with ctx.deps.sessions() as session:
        first = await session.scalar(select(func.min(Customer.id)))
    devices = [g for g in goods if g[1] in DEVICES]
    span = timedelta(days=730).total_seconds()
    for start in range(0, purchases, CHUNK):
        rows = []
        for j in range(start, min(purchases, start + CHUNK)):
            customer = j % n  # each customer's first purchase is a device
            sku, category, price = rng.choice(devices if j < n else goods)
            rows.append({"shop_id": SHOP, "customer_id": first + customer, "order_ref": f"o{j}",
                         "sku": sku, "title": sku, "category": category,
                         "price": Decimal(price), "gift": rng.random() < 0.02,
                         "bought_at": NOW - timedelta(seconds=rng.random() * span)})  # fmt: skip
        async with ctx.deps.write() as session:
            await session.execute(insert(PurchaseLine), rows)
    await engine.dispose()
    return {"customers": n, "purchases": purchases, "products": len(goods), "rules": len(RULES)}


async def plan(url: str) -> dict[str, Any]:
    ctx = _ctx(url)
    process = psutil.Process()
    before = process.memory_info().rss
    peak = before
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            await asyncio.sleep(0.2)

    sampler = asyncio.create_task(sample())
    cpu = process.cpu_times()
    began = time.perf_counter()
    counts = await calendar_plan.plan(ctx, SHOP)
    seconds = time.perf_counter() - began
    used = process.cpu_times()
    done.set()
    await sampler
    async with ctx.deps.sessions() as session:
        deliveries = await session.scalar(select(func.count()).select_from(Delivery))
    await ctx.deps.sessions.kw["bind"].dispose()
    mib = 1024 * 1024
    return {**counts.answer(), "deliveries": deliveries, "plan_seconds": round(seconds, 1),
            "cpu_seconds": round(used.user + used.system - cpu.user - cpu.system, 1),
            "rss_before_mib": round(before / mib, 1), "rss_peak_mib": round(peak / mib, 1),
            "ru_maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("step", choices=["seed", "plan"])
    p.add_argument("url")
    p.add_argument("n", nargs="?", type=int, default=500_000)
    p.add_argument("purchases", nargs="?", type=int, default=2_000_000)
    args = p.parse_args()
    if args.step == "seed":
        result = asyncio.run(seed(args.url, args.n, args.purchases))
    else:
        result = asyncio.run(plan(args.url))
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()


async def scenario(target: str, profile: Any, work: Any) -> dict[str, Any]:
    """`bash bench/run.sh --only calendar`: seed and plan in processes of their own, on
    SQLite, for the profile's planning size (500,000 customers in the full profile) with
    four past purchases each."""
    from bench.dispatch import _folder, _remove, _run_json

    _folder(work)
    path = work / "calendar.db"
    url = f"sqlite+aiosqlite:///{path}"
    n = profile.plan_customers
    bound = profile.scenario_timeout
    try:
        seeded = await _run_json(["-m", "bench.calendar", "seed", url, str(n), str(4 * n)], bound)
        planned = await _run_json(["-m", "bench.calendar", "plan", url], bound)
    finally:
        _remove(path)
    return {"scenario": "calendar", "target": target, **seeded, **planned}
