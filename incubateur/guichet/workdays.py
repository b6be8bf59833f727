"""Working time in Europe/Paris: the guichet's promise of a first answer within one working day.

A working day is Monday to Friday, except French public holidays (the `holidays` package), from
GUICHET_WORKDAY_START to GUICHET_WORKDAY_END o'clock. `add_working_hours(start, hours)` counts only working
time: a request sent on Friday at 17:00 is due on Monday at 17:00 (one hour on Friday, eight on Monday);
one sent on Friday evening is due at the end of Monday.
"""

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

PARIS = ZoneInfo("Europe/Paris")


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.France(years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _public_holidays(day.year)


def _bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(settings.GUICHET_WORKDAY_START), tzinfo=PARIS)
    end = datetime.combine(day, time(settings.GUICHET_WORKDAY_END), tzinfo=PARIS)
    return start, end


def add_working_hours(start: datetime, hours: float) -> datetime:
    """The moment `hours` of working time after `start` (an aware datetime); returned in Europe/Paris."""
    if start.tzinfo is None:
        raise ValueError("add_working_hours needs an aware datetime")
    if hours < 0:
        raise ValueError("add_working_hours counts forward: hours must not be negative")
    remaining = timedelta(hours=hours)
    moment = start.astimezone(PARIS)
    day = moment.date()
    while True:
        if is_working_day(day):
            opens, closes = _bounds(day)
            begin = max(moment, opens)
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    # Wall-clock arithmetic within one day, then back to an aware time (DST-safe).
                    naive = begin.replace(tzinfo=None) + remaining
                    return naive.replace(tzinfo=PARIS)
                remaining -= available
        day += timedelta(days=1)
        moment = datetime.combine(day, time(0), tzinfo=PARIS)


def first_response_due(created_at: datetime) -> datetime:
    """One working day after `created_at`."""
    hours = settings.GUICHET_WORKDAY_END - settings.GUICHET_WORKDAY_START
    return add_working_hours(created_at, hours)
