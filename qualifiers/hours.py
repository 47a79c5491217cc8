"""Working hours: when a team works, in its own timezone. Pure functions over aware datetimes:
an SLA of N minutes counts only minutes inside the working hours, so a lead arriving on
Friday evening is due on Monday morning, and a DST change moves the clock, not the SLA."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from functools import cached_property
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _clock(value: str) -> time:
    match = _CLOCK.match(value)
    if not match:
        raise ValueError(f"expected a time of day such as 09:00, got {value!r}")
    return time(int(match[1]), int(match[2]))


class BusinessHours(BaseModel):
    """The same hours on each working day, e.g. Monday to Friday, 09:00-17:30, Europe/Paris."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str
    days: list[Weekday] = Field(default=["mon", "tue", "wed", "thu", "fri"], min_length=1)
    start: str = "09:00"
    end: str = "17:00"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"expected an IANA timezone such as Europe/Paris, got {value!r}"
            ) from None
        return value

    @field_validator("start", "end")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        _clock(value)
        return value

    @model_validator(mode="after")
    def _start_before_end(self) -> BusinessHours:
        if _clock(self.start) >= _clock(self.end):
            raise ValueError(f"expected start before end, got {self.start}-{self.end}")
        return self

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def window(self, day: datetime) -> tuple[datetime, datetime] | None:
        """The working window (in UTC) of the local calendar day of `day`, or None."""
        if WEEKDAYS[day.weekday()] not in self.days:
            return None
        opens = datetime.combine(day.date(), _clock(self.start), self.zone)
        closes = datetime.combine(day.date(), _clock(self.end), self.zone)
        return opens.astimezone(UTC), closes.astimezone(UTC)


def is_working(hours: BusinessHours, at: datetime) -> bool:
    """Whether `at` (aware) falls inside the working hours."""
    window = hours.window(at.astimezone(hours.zone))
    return window is not None and window[0] <= at < window[1]


def due_after(hours: BusinessHours | None, start: datetime, minutes: int) -> datetime:
    """The moment `minutes` working minutes after `start` (aware) have passed; with no
    working hours every minute counts. Minutes are real elapsed time, so a working day on
    which the clocks change is an hour shorter or longer."""
    if hours is None:
        return start + timedelta(minutes=minutes)
    remaining = timedelta(minutes=minutes)
    cursor = start.astimezone(UTC)
    local_day = start.astimezone(hours.zone)
    while True:  # `days` is never empty, so each week holds working time
        window = hours.window(local_day)
        if window is not None and cursor < window[1]:
            begin = max(cursor, window[0])
            if remaining <= window[1] - begin:
                return begin + remaining
            remaining -= window[1] - begin
            cursor = window[1]
        next_date = local_day.date() + timedelta(days=1)
        local_day = datetime.combine(next_date, time(), hours.zone)
