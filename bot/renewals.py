"""Renewals of licences and subscriptions: reminders timed by the licence's end, and the
prefilled, signed checkout link behind /r/<code>.

A licence (event `licence.updated`, or a row of 1C's CSV export) enters the renewal journey
once per term: its trigger key is `licence:<id>:<ends_on>`. Each step is due a number of days
before the end, at an hour of the customer's day; a reminder whose moment passed more than a
day ago (a licence reported late) is skipped, not sent late. A renewal the shop reports
(`licence.renewed`, with the order's total and the new end) closes the earlier term's run as
`renewed` with that revenue, and the new term enters the journey afresh; a licence changed to
another end (`licence.updated`) closes the old term's run as `superseded`.

The checkout link is the journey's `checkout_url` with `{sku}`, `{title}`, `{term}`,
`{quantity}`, `{licence}`, `{ends_on}`, `{customer}`, `{name}`, `{phone}` and `{code}`
filled, then `ts` (the click's Unix time) and `sig` appended: hex HMAC-SHA256, with the shop's
checkout secret, of the canonical query — every other parameter, name and value
percent-encoded as RFC 3986 (unreserved characters kept), sorted, joined as `n=v` by `&`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from prilavok.bot import delivery_states as states
from prilavok.bot.delivery_states import Reason, State
from prilavok.bot.journey_defs import StepIn
from prilavok.bot.shop_events import Stored, orm_listener
from prilavok.storage.models import Customer, Delivery, JourneyRun, JourneyTimer, ShopSetting

DEFAULT_HOUR = 11
# A reminder this late is no reminder: skipped rather than sent after the moment it meant.
STALE = timedelta(days=1)
SECRET_KEY = "checkout_secret:{shop}"
MIN_SECRET = 16
# The earliest any zone's clock shows a given date and hour (UTC+14).
_EARLIEST_ZONE = timedelta(hours=14)


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/Moscow")


def ends_on(context: dict[str, Any]) -> date | None:
    raw = (context.get("licence") or {}).get("ends_on")
    return date.fromisoformat(raw) if raw else None


def moment(step: StepIn, context: dict[str, Any], tz: str) -> datetime | None:
    """When a licence step is due: `before_end_days` before the end, at the step's hour of
    the customer's day. None for other steps."""
    end = ends_on(context)
    if step.before_end_days is None or end is None:
        return None
    day = end - timedelta(days=step.before_end_days)
    hour = step.until_hour if step.until_hour is not None else DEFAULT_HOUR
    return datetime.combine(day, time(hour), tzinfo=_zone(tz)).astimezone(UTC)


def rough_due(step: StepIn, context: dict[str, Any]) -> datetime | None:
    """No later than `moment` in any zone: entering does not read the customer's zone, and the
    timer, once due, waits on to the exact moment (journey_steps)."""
    end = ends_on(context)
    if step.before_end_days is None or end is None:
        return None
    hour = step.until_hour if step.until_hour is not None else DEFAULT_HOUR
    day = end - timedelta(days=step.before_end_days)
    return datetime.combine(day, time(hour), tzinfo=UTC) - _EARLIEST_ZONE


def stale(step: StepIn, context: dict[str, Any], tz: str, now: datetime) -> bool:
    due = moment(step, context, tz)
    return due is not None and now - due > STALE


# ---- the shop's reports of renewals ----


@orm_listener
def on_events(session: Session, batch: Sequence[Stored], now: datetime) -> None:
    """After the journeys have entered the batch: a renewal closes the earlier terms' runs as
    renewed (the journey's revenue); a licence moved to another end closes the old term's."""
    licences = [s for s in batch if s.customer_id is not None and s.event.licence is not None]
    if not licences:
        return
    customers = sorted({s.customer_id for s in licences if s.customer_id is not None})
    # Runs still open, or done with their reminders but not renewed yet.
    open_runs: list[JourneyRun] = []
    for start in range(0, len(customers), 500):
        open_runs.extend(
            session.scalars(
                select(JourneyRun).where(
                    JourneyRun.customer_id.in_(customers[start : start + 500]),
                    JourneyRun.state.in_(("active", "done")),
                    JourneyRun.ordered_at.is_(None),
                    JourneyRun.trigger_key.like("licence:%"),
                )
            )
        )
    for one in licences:
        licence = one.event.licence
        assert licence is not None
        prefix = f"licence:{licence.id}:"
        renewed = one.event.type == "licence.renewed"
        for run in open_runs:
            if run.ordered_at is not None or run.customer_id != one.customer_id:
                continue
            if not run.trigger_key.startswith(prefix):
                continue
            term_end = date.fromisoformat(run.trigger_key[len(prefix) :])
            if renewed and term_end < licence.ends_on:
                total = one.event.order.total if one.event.order else 0
                run.ordered_at, run.revenue = one.at, Decimal(str(total or 0))
                _close(session, run, "renewed", now)
            elif not renewed and term_end != licence.ends_on and run.state == "active":
                _close(session, run, "superseded", now)


def _close(session: Session, run: JourneyRun, why: str, now: datetime) -> None:
    if run.state == "active":
        run.state, run.finished_at = "exited", now
    run.exit_reason = why
    session.execute(delete(JourneyTimer).where(JourneyTimer.run_id == run.id))
    # A reminder still waiting (the night, a limit) is no news now.
    session.execute(
        states.update(State.FAILED, (State.SCHEDULED,), Reason.SUPERSEDED, why).where(
            Delivery.run_id == run.id
        )
    )


# ---- the checkout link ----


def canonical(pairs: Sequence[tuple[str, str]]) -> str:
    """The query as it is signed: RFC 3986 encoding, pairs sorted, `sig` left out."""
    encoded = sorted(
        (quote(name, safe="-_.~"), quote(value, safe="-_.~"))
        for name, value in pairs
        if name != "sig"
    )
    return "&".join(f"{name}={value}" for name, value in encoded)


def signature(secret: str, pairs: Sequence[tuple[str, str]]) -> str:
    return hmac.new(secret.encode(), canonical(pairs).encode(), hashlib.sha256).hexdigest()


def checkout_target(
    url: str,
    licence: dict[str, Any],
    customer: Customer,
    code: str,
    now: datetime,
    secret: str,
) -> str:
    """The shop's checkout URL filled for this licence and customer, stamped and signed."""
    values = {
        "sku": licence.get("sku", ""),
        "title": licence.get("title", ""),
        "term": licence.get("term", ""),
        "quantity": str(licence.get("quantity", 1)),
        "licence": licence.get("id", ""),
        "ends_on": licence.get("ends_on", ""),
        "customer": customer.external_id or "",
        "name": customer.name,
        "phone": customer.phone,
        "code": code,
    }
    for key, value in values.items():
        url = url.replace("{" + key + "}", quote(str(value), safe=""))
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    pairs = [(n, v) for n, v in pairs if n not in ("ts", "sig")]
    pairs.append(("ts", str(int(now.timestamp()))))
    query = canonical(pairs)
    sig = signature(secret, pairs)
    return parts._replace(query=f"{query}&sig={sig}").geturl()


async def secret(session: AsyncSession, shop_id: str) -> str | None:
    row = await session.get(ShopSetting, SECRET_KEY.format(shop=shop_id))
    return str(row.value.get("secret")) if row is not None else None


async def set_secret(session: AsyncSession, shop_id: str, value: str) -> None:
    key = SECRET_KEY.format(shop=shop_id)
    row = await session.get(ShopSetting, key)
    if row is None:
        session.add(ShopSetting(key=key, value={"secret": value}))
    else:
        row.value = {"secret": value}
