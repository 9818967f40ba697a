"""Business hours: when invitations may be made and when the shop says it will answer."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from prilavok.consult.kernel import http_input, payloads
from prilavok.storage.models import ShopSetting

KEY = "business_hours"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HHMM = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class Hours(BaseModel):
    """Days map to [from, to] or null (closed); no days at all means always open."""

    model_config = ConfigDict(extra="forbid")
    timezone: str = "Europe/Moscow"
    days: dict[str, tuple[HHMM, HHMM] | None] = {}

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return http_input.zone_name(value)

    @field_validator("days")
    @classmethod
    def _days(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = set(value) - set(DAYS)
        if unknown:
            raise ValueError(f"unknown days: {', '.join(sorted(unknown))}")
        for span in value.values():
            if span is not None and span[0] >= span[1]:
                raise ValueError("a day's opening comes before its closing")
        return value

    def open_at(self, moment: datetime) -> bool:
        if not self.days:
            return True
        local = moment.astimezone(ZoneInfo(self.timezone))
        span = self.days.get(DAYS[local.weekday()])
        if span is None:
            return False
        start, end = (time.fromisoformat(t) for t in span)
        return start <= local.time().replace(tzinfo=None) < end

    def next_open(self, moment: datetime) -> datetime | None:
        """The next time the hours begin, strictly after `moment` (None: always open)."""
        if not self.days:
            return None
        zone = ZoneInfo(self.timezone)
        local = moment.astimezone(zone)
        for ahead in range(8):
            day = (local + timedelta(days=ahead)).date()
            span = self.days.get(DAYS[day.weekday()])
            if span is None:
                continue
            start = datetime.combine(day, time.fromisoformat(span[0]), zone)
            if start > local:
                return start.astimezone(UTC)
        return None


def parse(data: Any) -> Hours:
    return payloads.parse(Hours, data)


async def load(session: Any) -> Hours:
    row = await session.get(ShopSetting, KEY)
    return Hours.model_validate(row.value) if row else Hours()


async def save(session: Any, hours: Hours) -> None:
    row = await session.get(ShopSetting, KEY)
    value = hours.model_dump(mode="json")
    if row is None:
        session.add(ShopSetting(key=KEY, value=value))
    else:
        row.value = value
