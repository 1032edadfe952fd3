"""Business-time arithmetic across nights, weekends, holidays and DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from agents.business_hours import (
    Schedule,
    add_business_time,
    business_seconds_between,
    is_open,
)

NEW_YORK = ZoneInfo("America/New_York")
HOUR = 3600


def weekdays_nine_to_five(timezone: str = "America/New_York", holidays=()) -> Schedule:
    rows = [(day, time(9), time(17)) for day in range(5)]
    return Schedule.from_rows(timezone, rows, holidays)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


def test_time_inside_one_day_is_plain_addition():
    start = local(2026, 11, 17, 10, 0)  # Tuesday
    assert add_business_time(start, 2 * HOUR, weekdays_nine_to_five()) == local(2026, 11, 17, 12)


def test_the_clock_stops_at_closing_and_resumes_at_the_next_opening():
    start = local(2026, 11, 17, 16, 0)
    due = add_business_time(start, 2 * HOUR, weekdays_nine_to_five())
    assert due == local(2026, 11, 18, 10, 0)


def test_a_friday_afternoon_target_lands_on_monday():
    start = local(2026, 11, 20, 15, 0)  # Friday
    due = add_business_time(start, 4 * HOUR, weekdays_nine_to_five())
    assert due == local(2026, 11, 23, 11, 0)


def test_a_message_on_saturday_starts_the_clock_on_monday_morning():
    start = local(2026, 11, 21, 12, 0)  # Saturday
    due = add_business_time(start, HOUR, weekdays_nine_to_five())
    assert due == local(2026, 11, 23, 10, 0)


def test_a_holiday_is_skipped():
    schedule = weekdays_nine_to_five(holidays=[date(2026, 11, 26)])  # Thanksgiving, Thursday
    start = local(2026, 11, 25, 16, 0)  # Wednesday
    assert add_business_time(start, 2 * HOUR, schedule) == local(2026, 11, 27, 10, 0)
    assert business_seconds_between(start, local(2026, 11, 27, 10, 0), schedule) == 2 * HOUR


def test_office_hours_keep_their_wall_clock_across_the_spring_dst_change():
    # Clocks go forward on Sunday 8 March 2026 in New York: Friday 16:00 EST + 2h of
    # business time is Monday 10:00 EDT, which is 14:00 UTC, not 15:00.
    start = local(2026, 3, 6, 16, 0)
    due = add_business_time(start, 2 * HOUR, weekdays_nine_to_five())
    assert due == local(2026, 3, 9, 10, 0)
    assert due.astimezone(UTC) == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)


def test_a_round_the_clock_schedule_counts_the_real_hours_of_a_dst_day():
    always = Schedule.always("America/New_York")
    start = local(2026, 3, 8, 0, 0)
    end = local(2026, 3, 9, 0, 0)
    assert business_seconds_between(start, end, always) == 23 * HOUR
    fall_start, fall_end = local(2026, 11, 1, 0, 0), local(2026, 11, 2, 0, 0)
    assert business_seconds_between(fall_start, fall_end, always) == 25 * HOUR
    assert add_business_time(start, 24 * HOUR, always) == local(2026, 3, 9, 1, 0)


def test_business_seconds_between_counts_only_opening_hours_and_is_antisymmetric():
    schedule = weekdays_nine_to_five()
    start, end = local(2026, 11, 20, 16, 0), local(2026, 11, 23, 10, 30)
    assert business_seconds_between(start, end, schedule) == 2.5 * HOUR
    assert business_seconds_between(end, start, schedule) == -2.5 * HOUR


def test_add_and_between_agree():
    schedule = weekdays_nine_to_five(holidays=[date(2026, 12, 25)])
    start = local(2026, 12, 23, 11, 17)
    for seconds in (60, 5 * HOUR, 17 * HOUR + 123, 40 * HOUR):
        due = add_business_time(start, seconds, schedule)
        assert business_seconds_between(start, due, schedule) == pytest.approx(seconds)


def test_split_days_and_a_midnight_close():
    schedule = Schedule.from_rows(
        "Europe/Berlin",
        [(0, time(8), time(12)), (0, time(13), time(17)), (1, time(20), time(0))],
    )
    berlin = ZoneInfo("Europe/Berlin")
    monday_noon = datetime(2026, 11, 16, 11, 0, tzinfo=berlin)
    assert add_business_time(monday_noon, 2 * HOUR, schedule) == datetime(
        2026, 11, 16, 14, 0, tzinfo=berlin
    )
    assert is_open(datetime(2026, 11, 17, 23, 30, tzinfo=berlin), schedule)
    assert not is_open(datetime(2026, 11, 16, 12, 30, tzinfo=berlin), schedule)


def test_naive_datetimes_and_empty_schedules_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_time(datetime(2026, 1, 1), 60, Schedule.always())
    with pytest.raises(ValueError, match="no working hours"):
        add_business_time(local(2026, 1, 1), 60, Schedule("UTC", {}))
    with pytest.raises(ValueError):
        Schedule.from_rows("UTC", [(0, time(17), time(9))])


def test_zero_seconds_is_the_start_itself():
    start = local(2026, 11, 21, 12, 0)
    assert add_business_time(start, 0, weekdays_nine_to_five()) == start
    assert add_business_time(start, -5, weekdays_nine_to_five()) == start
    assert start + timedelta(0) == start
