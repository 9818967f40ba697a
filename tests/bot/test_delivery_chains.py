"""Migration 0017: a delivery that a switch or a reminder added before chains were linked gets
its chain's first delivery, the calendar plan's own; deliveries of other offers stay as they
were."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from prilavok.storage.db import create_engine, migrate
from tests.bot.test_reasons import _old_rows


async def test_migration_0017_links_earlier_calendar_chains(empty_db_url: str) -> None:
    engine = create_engine(empty_db_url)
    await migrate(engine, "0016")
    at = datetime(2026, 11, 20, tzinfo=UTC)
    # Deliveries 1..5 of one offer to one customer (attempts 1..5): the plan of one purchase
    # sent 1, switched to 2 and 3; the plan of a later purchase sent 4, reminded as 5.
    await _old_rows(engine, at, [(None, "switched", None)] * 5)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO calendar_rules (id, shop_id, name, kind, category, offer_category,"
                " delay_days, enabled, holdout_percent, template, updated_at) VALUES"
                " (1, 's', 'Чехол', 'accessory', 'phones', 'cases', 30, true, 0, 't', :at)"
            ),
            {"at": at},
        )
        for plan, delivery in ((1, 1), (2, 4)):
            await conn.execute(
                text(
                    'INSERT INTO calendar_plans (id, rule_id, customer_id, line_id, "group",'
                    " delivery_id, due_at, planned_at) VALUES"
                    " (:plan, 1, 1, :plan, 'treated', :delivery, :at, :at)"
                ),
                {"plan": plan, "delivery": delivery, "at": at},
            )
    await migrate(engine)
    async with engine.connect() as conn:
        found = (await conn.execute(text("SELECT id, first_id FROM deliveries ORDER BY id"))).all()
    await engine.dispose()
    assert [tuple(r) for r in found] == [(1, None), (2, 1), (3, 1), (4, None), (5, 4)]
