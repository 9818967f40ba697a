"""No offers at night in the customer's own time zone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def next_allowed(now: datetime, tz: str, quiet_from: int, quiet_to: int) -> datetime | None:
    """None when `now` is outside the quiet hours there; else when they end (UTC)."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("Europe/Moscow")
    local = now.astimezone(zone)
    hour = local.hour
    if quiet_from == quiet_to:
        return None
    if quiet_from > quiet_to:  # wraps midnight, e.g. 21–10
        quiet = hour >= quiet_from or hour < quiet_to
    else:
        quiet = quiet_from <= hour < quiet_to
    if not quiet:
        return None
    day = local.date() if hour < quiet_to else local.date() + timedelta(days=1)
    return datetime.combine(day, time(quiet_to), tzinfo=zone).astimezone(UTC)
