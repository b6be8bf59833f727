"""Calendar arithmetic shared by the apps."""

import calendar
import datetime


def add_months(date: datetime.date, months: int) -> datetime.date:
    """The same day `months` later (the month's last day when it has fewer days)."""
    index = date.month - 1 + months
    year, month = date.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(date.day, calendar.monthrange(year, month)[1]))
