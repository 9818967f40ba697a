"""The catalog from a YML (Yandex Market Language) feed, uploaded or fetched by URL on a
schedule. Streamed: the XML is fed to a pull parser chunk by chunk and each <offer> is dropped
once read, and products are written a chunk at a time, so a feed of 100,000 offers costs
flat memory. Taken per offer: id, available (or <count>), price, oldprice, the category's
name, the first picture, url, name, description.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

import aiohttp
from sqlalchemy import bindparam, insert, select, update

from prilavok.bot.context import Offers
from prilavok.consult.kernel.errors import ConsultError
from prilavok.storage.models import Product, ShopSetting

log = logging.getLogger(__name__)

CHUNK = 2_000
MAX_BYTES = 512 * 1024 * 1024


@dataclass
class Imported:
    offers: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0  # offers without an id or a name
    errors: list[str] = field(default_factory=list)

    def answer(self) -> dict[str, Any]:
        return {"offers": self.offers, "created": self.created, "updated": self.updated,
                "skipped": self.skipped}  # fmt: skip


def _text(el: Element, tag: str) -> str | None:
    child = el.find(tag)
    return child.text.strip() if child is not None and child.text else None


def _money(raw: str | None) -> Decimal | None:
    if not raw:
        return None
    try:
        value = Decimal(raw.replace(",", ".")).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None
    return value if 0 <= value < Decimal("1e10") else None


def _http(raw: str | None) -> str | None:
    return raw[:2000] if raw and raw.startswith(("http://", "https://")) else None


def product(el: Element, categories: dict[str, str]) -> dict[str, Any] | None:
    sku = (el.get("id") or "").strip()[:100]
    name = _text(el, "name") or _text(el, "model")
    if not sku or not name:
        return None
    count = _text(el, "count")
    if count is not None and count.isdigit():
        stock = int(count)
    else:
        stock = 0 if (el.get("available") or "true").lower() == "false" else 1
    return {
        "sku": sku,
        "title": name[:300],
        "description": (_text(el, "description") or "")[:5000],
        "price": _money(_text(el, "price")),
        "old_price": _money(_text(el, "oldprice")),
        "category": categories.get(_text(el, "categoryId") or "", None),
        "photo_url": _http(_text(el, "picture")),
        "product_url": _http(_text(el, "url")),
        "stock": min(stock, 2**31 - 1),
    }


class FeedReader:
    """Feed it bytes; take the products read so far."""

    def __init__(self) -> None:
        self.parser = XMLPullParser(events=("start", "end"))
        self.categories: dict[str, str] = {}
        self.offers_el: Element | None = None
        self.ready: list[dict[str, Any]] = []
        self.skipped = 0

    def feed(self, data: bytes) -> None:
        try:
            self.parser.feed(data)
            self._events()
        except ParseError as exc:
            raise ConsultError("invalid_feed", f"not a YML feed: {exc}") from None

    def close(self) -> None:
        try:
            self.parser.close()
            self._events()
        except ParseError as exc:
            raise ConsultError("invalid_feed", f"not a YML feed: {exc}") from None

    def _events(self) -> None:
        for event, el in self.parser.read_events():
            if event == "start":
                if el.tag == "offers":
                    self.offers_el = el
                continue
            if el.tag == "category" and el.get("id"):
                self.categories[el.get("id", "")] = (el.text or "").strip()[:100]
            elif el.tag == "offer":
                one = product(el, self.categories)
                if one is None:
                    self.skipped += 1
                else:
                    self.ready.append(one)
                if self.offers_el is not None:
                    self.offers_el.clear()  # read: drop it and those before it
                else:
                    el.clear()

    def take(self) -> list[dict[str, Any]]:
        out, self.ready = self.ready, []
        return out


async def load(ctx: Offers, shop_id: str, chunks: AsyncIterator[bytes]) -> Imported:
    reader, done, size = FeedReader(), Imported(), 0
    async for data in chunks:
        size += len(data)
        if size > MAX_BYTES:
            raise ConsultError("too_large", "the feed is larger than 512 MiB", 413)
        reader.feed(data)
        if len(reader.ready) >= CHUNK:
            await _write(ctx, shop_id, reader.take(), done)
    reader.close()
    if reader.ready:
        await _write(ctx, shop_id, reader.take(), done)
    if done.offers == 0 and reader.offers_el is None:
        raise ConsultError("invalid_feed", "no <offers> in the feed")
    done.skipped = reader.skipped
    return done


async def _write(ctx: Offers, shop_id: str, rows: list[dict[str, Any]], done: Imported) -> None:
    """One chunk: new products inserted, known ones updated, both as executemany."""
    now: datetime = ctx.clock.now()
    by_sku = {r["sku"]: r for r in rows}  # a repeated id: the last one counts
    async with ctx.deps.write() as session:
        known = set(
            await session.scalars(
                select(Product.sku).where(Product.shop_id == shop_id, Product.sku.in_(by_sku))
            )
        )
        new = [{**r, "shop_id": shop_id, "updated_at": now} for s, r in by_sku.items()
               if s not in known]  # fmt: skip
        # Bound names must differ from the columns they set: prefixed with "b_".
        old = [{f"b_{k}": v for k, v in r.items()} | {"b_updated_at": now}
               for s, r in by_sku.items() if s in known]  # fmt: skip
        if new:
            await session.execute(insert(Product.__table__), new)
        if old:
            columns = [k[2:] for k in old[0] if k != "b_sku"]
            stmt = (
                update(Product.__table__)
                .where(Product.shop_id == shop_id, Product.sku == bindparam("b_sku"))
                .values({c: bindparam(f"b_{c}") for c in columns})
            )
            await session.execute(stmt, old)
    done.offers += len(rows)
    done.created += len(new)
    done.updated += len(old)


# ---- by URL, on a schedule ----

SOURCE_KEY = "yml_source:{shop}"


class FeedSchedule:
    """Shops' feed URLs (shop_settings rows), fetched when due by whichever process looks."""

    def __init__(self, ctx: Offers) -> None:
        self.ctx = ctx

    async def set_source(self, shop_id: str, url: str, every_minutes: int) -> dict[str, Any]:
        if not url.startswith(("http://", "https://")) or len(url) > 2000:
            raise ConsultError("invalid_payload", "url: an http(s) address")
        if not 15 <= every_minutes <= 7 * 24 * 60:
            raise ConsultError("invalid_payload", "every_minutes: from 15 to 10080")
        value = {"shop_id": shop_id, "url": url, "every_minutes": every_minutes,
                 "next_at": self.ctx.clock.now().isoformat(), "last": None}  # fmt: skip
        async with self.ctx.deps.write() as session:
            row = await session.get(ShopSetting, SOURCE_KEY.format(shop=shop_id))
            if row is None:
                session.add(ShopSetting(key=SOURCE_KEY.format(shop=shop_id), value=value))
            else:
                row.value = value
        return value

    async def run_once(self) -> int:
        """Fetches every due feed; returns how many."""
        now = self.ctx.clock.now()
        async with self.ctx.deps.write() as session:
            rows = list(
                await session.scalars(
                    select(ShopSetting).where(ShopSetting.key.like("yml_source:%"))
                )
            )
            due = []
            for row in rows:
                if datetime.fromisoformat(row.value["next_at"]) <= now:
                    nxt = now + timedelta(minutes=row.value["every_minutes"])
                    row.value = {**row.value, "next_at": nxt.isoformat()}  # claimed till then
                    due.append(dict(row.value) | {"key": row.key})
        for source in due:
            await self._fetch(source)
        return len(due)

    async def _fetch(self, source: dict[str, Any]) -> None:
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as http:
                async with http.get(source["url"]) as r:
                    if r.status != 200:
                        raise ConsultError("feed_unreachable", f"the feed answered {r.status}")
                    done = await load(self.ctx, source["shop_id"], r.content.iter_chunked(65536))
            last: dict[str, Any] = {"ok": True, **done.answer()}
        except (aiohttp.ClientError, TimeoutError, ConsultError) as exc:
            log.warning("yml feed %s failed: %s", source["url"], exc)
            last = {"ok": False, "error": str(exc)[:300]}
        last["at"] = self.ctx.clock.now().isoformat()
        async with self.ctx.deps.write() as session:
            row = await session.get(ShopSetting, source["key"])
            if row is not None:
                row.value = {**row.value, "last": last}
