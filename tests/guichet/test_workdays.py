"""The first answer is due within one working day: Europe/Paris, Monday to Friday from 9:00 to 18:00, French
public holidays off. Times are wall-clock times in Paris, across the changes of daylight saving time too."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incubateur.guichet.workdays import PARIS, add_working_hours, first_response_due, is_working_day


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.mark.parametrize(
    "created, due",
    [
        # A Tuesday morning: the same time on Wednesday.
        (paris(2026, 3, 10, 10, 30), paris(2026, 3, 11, 10, 30)),
        # Before opening: the end of the same day.
        (paris(2026, 3, 10, 7, 0), paris(2026, 3, 10, 18, 0)),
        # Friday 17:00: one hour on Friday, eight on Monday.
        (paris(2026, 3, 13, 17, 0), paris(2026, 3, 16, 17, 0)),
        # Friday evening: the end of Monday.
        (paris(2026, 3, 13, 19, 45), paris(2026, 3, 16, 18, 0)),
        # Friday 18:00 sharp: the day is over.
        (paris(2026, 3, 13, 18, 0), paris(2026, 3, 16, 18, 0)),
        # A Saturday and a Sunday: the end of Monday.
        (paris(2026, 3, 14, 11, 0), paris(2026, 3, 16, 18, 0)),
        (paris(2026, 3, 15, 23, 59), paris(2026, 3, 16, 18, 0)),
        # Thursday 24 December 2026, 15:00: three hours on Thursday; the 25th is Christmas, then the weekend;
        # six hours on Monday 28.
        (paris(2026, 12, 24, 15, 0), paris(2026, 12, 28, 15, 0)),
        # Thursday 24 December in the evening: the end of Monday 28.
        (paris(2026, 12, 24, 20, 0), paris(2026, 12, 28, 18, 0)),
        # Monday 13 July 2026, 14:00: four hours on Monday; Tuesday 14 July is off; five on Wednesday 15.
        (paris(2026, 7, 13, 14, 0), paris(2026, 7, 15, 14, 0)),
        # On 14 July itself: the end of Wednesday.
        (paris(2026, 7, 14, 10, 0), paris(2026, 7, 15, 18, 0)),
        # Easter Monday (6 April 2026) is off: Friday 3 April 16:00 → Tuesday 7 April 16:00.
        (paris(2026, 4, 3, 16, 0), paris(2026, 4, 7, 16, 0)),
        # Ascension Thursday (14 May 2026): Wednesday 13 at 12:00 → Friday 15 at 12:00.
        (paris(2026, 5, 13, 12, 0), paris(2026, 5, 15, 12, 0)),
        # New Year's Eve 2026 (Thursday) 17:00 → Friday 1 January off, then the weekend → Monday 4 January 2027.
        (paris(2026, 12, 31, 17, 0), paris(2027, 1, 4, 17, 0)),
    ],
    ids=[
        "tuesday",
        "before-opening",
        "friday-17h",
        "friday-evening",
        "friday-18h",
        "saturday",
        "sunday-night",
        "24-december",
        "24-december-evening",
        "13-july",
        "14-july",
        "easter-monday",
        "ascension",
        "new-year",
    ],
)
def test_first_response_due(created, due):
    assert first_response_due(created) == due


def test_summer_time_starts_on_sunday_29_march_2026():
    # Friday 27 March 17:00 (UTC+1) → Monday 30 March 17:00 (UTC+2): wall-clock hours, not elapsed hours.
    due = first_response_due(paris(2026, 3, 27, 17, 0))
    assert due == paris(2026, 3, 30, 17, 0)
    assert due.utcoffset() == timedelta(hours=2)
    assert due.astimezone(UTC) == datetime(2026, 3, 30, 15, 0, tzinfo=UTC)


def test_summer_time_ends_on_sunday_25_october_2026():
    # Friday 23 October 17:00 (UTC+2) → Monday 26 October 17:00 (UTC+1).
    due = first_response_due(paris(2026, 10, 23, 17, 0))
    assert due == paris(2026, 10, 26, 17, 0)
    assert due.utcoffset() == timedelta(hours=1)
    assert due.astimezone(UTC) == datetime(2026, 10, 26, 16, 0, tzinfo=UTC)


def test_a_start_in_another_time_zone_is_read_in_paris():
    # 16:00 UTC on Friday 13 March 2026 is 17:00 in Paris.
    due = first_response_due(datetime(2026, 3, 13, 16, 0, tzinfo=UTC))
    assert due == paris(2026, 3, 16, 17, 0)
    assert due.tzinfo == PARIS


def test_add_working_hours_spans_several_days():
    # Monday 9:00 + 20 working hours: Monday (9), Tuesday (9), Wednesday 11:00.
    assert add_working_hours(paris(2026, 3, 9, 9, 0), 20) == paris(2026, 3, 11, 11, 0)
    # Half hours are fine.
    assert add_working_hours(paris(2026, 3, 9, 17, 45), 0.5) == paris(2026, 3, 10, 9, 15)


def test_add_working_hours_refuses_a_naive_datetime():
    with pytest.raises(ValueError):
        add_working_hours(datetime(2026, 3, 9, 9, 0), 1)  # noqa: DTZ001 - naive on purpose


def test_add_working_hours_refuses_negative_hours():
    with pytest.raises(ValueError):
        add_working_hours(paris(2026, 3, 9, 9, 0), -1)


def test_working_days():
    assert is_working_day(date(2026, 3, 13))  # Friday
    assert not is_working_day(date(2026, 3, 14))  # Saturday
    assert not is_working_day(date(2026, 12, 25))
    assert not is_working_day(date(2026, 7, 14))
    assert not is_working_day(date(2026, 4, 6))  # Easter Monday
    assert not is_working_day(date(2026, 5, 25))  # Whit Monday


def test_the_working_day_follows_the_settings(settings):
    settings.GUICHET_WORKDAY_START = 10
    settings.GUICHET_WORKDAY_END = 16
    assert first_response_due(paris(2026, 3, 13, 15, 0)) == paris(2026, 3, 16, 15, 0)


# --- Properties -----------------------------------------------------------------------------------

# Any minute from 2025 to 2028 (summer time changes, holidays and year ends included), and hours in quarters.
# Hypothesis takes naive bounds and attaches the time zone itself.
EARLIEST, LATEST = datetime(2025, 1, 1), datetime(2028, 12, 31)  # noqa: DTZ001
starts = st.datetimes(min_value=EARLIEST, max_value=LATEST, timezones=st.just(PARIS), allow_imaginary=False).map(
    lambda moment: moment.replace(second=0, microsecond=0)
)
quarters = st.integers(min_value=1, max_value=4 * 60).map(lambda n: n / 4)


def within_working_hours(moment: datetime) -> bool:
    local = moment.astimezone(PARIS)
    opens = local.replace(hour=9, minute=0, second=0, microsecond=0)
    closes = local.replace(hour=18, minute=0, second=0, microsecond=0)
    return is_working_day(local.date()) and opens < local <= closes


@settings(max_examples=300, deadline=None)
@given(start=starts, hours=quarters)
def test_the_result_is_a_later_moment_within_working_hours(start, hours):
    result = add_working_hours(start, hours)
    assert result > start
    assert within_working_hours(result)


@settings(max_examples=300, deadline=None)
@given(start=starts, delta=st.integers(min_value=1, max_value=7 * 24 * 60), hours=quarters)
def test_monotonic_in_the_start(start, delta, hours):
    later = start + timedelta(minutes=delta)
    assert add_working_hours(later, hours) >= add_working_hours(start, hours)


@settings(max_examples=300, deadline=None)
@given(start=starts, first=quarters, second=quarters)
def test_adding_twice_is_adding_the_sum(start, first, second):
    assert add_working_hours(add_working_hours(start, first), second) == add_working_hours(start, first + second)


@settings(max_examples=200, deadline=None)
@given(start=starts)
def test_one_working_day_is_nine_working_hours_and_at_most_a_few_calendar_days(start):
    due = first_response_due(start)
    assert due == add_working_hours(start, 9)
    # The longest stretch without a working day in France: a weekend next to holidays (e.g. Christmas).
    assert due - start < timedelta(days=6)
