"""storage.bulk.insert_rows stores exactly what an ordinary insert stores (timestamps in the
same text on SQLite, so that comparisons in SQL hold; JSON with its non-ASCII text), skips
rows that conflict, and answers the inserted rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import cast, func, insert, select, text

from prilavok.storage.bulk import insert_rows
from prilavok.storage.db import create_engine
from prilavok.storage.models import ShopEvent

EVENTS = ShopEvent.__table__
MOSCOW = timezone(timedelta(hours=3))


def row(n: int, at: datetime) -> dict[str, object]:
    return {
        "shop_id": "s",
        "event_id": f"e{n}",
        "type": "cart.changed",
        "customer_id": None,
        "customer_ref": "k'1\"",
        "subject": None,
        "data": {"cart": {"items": [{"name": "Чехол «люкс»", "price": 990.5}]}, "n": n},
        "source": "api",
        "at": at,
        "received_at": at,
    }


async def test_bulk_rows_are_stored_as_ordinary_ones(db_url: str) -> None:
    engine = create_engine(db_url)
    at = datetime(2026, 11, 23, 12, 30, 15, 250_000, tzinfo=MOSCOW)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(EVENTS), [row(0, at)])
            added = await conn.run_sync(
                lambda c: insert_rows(
                    c,
                    EVENTS,
                    [row(0, at), row(1, at), row(2, at + timedelta(days=1))],
                    on_conflict_nothing=("shop_id", "event_id"),
                    returning=("event_id",),
                )
            )
            assert sorted(r.event_id for r in added) == ["e1", "e2"]  # e0 was there
            got = (await conn.execute(select(EVENTS).order_by(EVENTS.c.id))).all()
            assert [r.event_id for r in got] == ["e0", "e1", "e2"]
            for stored, n in zip(got, (0, 1, 2), strict=True):
                want = row(n, at + timedelta(days=n // 2))
                assert {k: getattr(stored, k) for k in want} == want
            # The same text in the database, so that ordering and ranges in SQL agree.
            as_text = (await conn.execute(select(cast(EVENTS.c.at, EVENTS.c.event_id.type))
                                          .order_by(EVENTS.c.id))).scalars().all()  # fmt: skip
            assert as_text[0] == as_text[1] != as_text[2]
            later = await conn.scalar(select(func.count()).where(EVENTS.c.at > at.astimezone(UTC)))
            assert later == 1
            if conn.dialect.name == "sqlite":
                data = await conn.scalar(text("SELECT data FROM shop_events WHERE id = 2"))
                assert "Чехол «люкс»" in data  # stored as text, not as \\u escapes
    finally:
        await engine.dispose()
