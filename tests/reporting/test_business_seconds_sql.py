"""The SQL `reporting_business_seconds` agrees with agents.business_hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from django.db import connection

from agents.business_hours import Schedule, business_seconds_between
from reporting.selectors.business_hours import schedule_params

pytestmark = pytest.mark.django_db


def sql_seconds(start: datetime, end: datetime, schedule: Schedule) -> float:
    params = {"start": start, "end": end, **schedule_params(schedule)}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reporting_business_seconds(%(start)s, %(end)s, %(bh_tz)s, %(bh_weekdays)s,"
            " %(bh_opens)s, %(bh_closes)s, %(bh_holidays)s::date[])",
            params,
        )
        return cursor.fetchone()[0]


BERLIN = Schedule.from_rows(
    "Europe/Berlin",
    [(day, time(9), time(17)) for day in range(5)] + [(5, time(10), time(14))],
    holidays=[date(2026, 4, 3)],
)
SPLIT = Schedule.from_rows(
    "UTC", [(d, time(8), time(12)) for d in range(5)] + [(d, time(13), time(17)) for d in range(5)]
)


@pytest.mark.parametrize(
    ("start", "end", "schedule", "expected"),
    [
        # Friday 16:30 -> Monday 09:30 UTC with weekdays 08-12, 13-17: 30 min + 90 min.
        (
            datetime(2026, 3, 6, 16, 30, tzinfo=UTC),
            datetime(2026, 3, 9, 9, 30, tzinfo=UTC),
            SPLIT,
            7200,
        ),
        # Lunch does not count: 11:00 -> 14:00 is 2 h.
        (datetime(2026, 3, 2, 11, tzinfo=UTC), datetime(2026, 3, 2, 14, tzinfo=UTC), SPLIT, 7200),
        # Berlin, across the spring-forward weekend (29 March 2026) with a Saturday
        # 10-14: Fri 27th 16:00 CET (15:00 UTC) -> Mon 30th 10:00 CEST (08:00 UTC):
        # 1 h Friday + 4 h Saturday + 1 h Monday.
        (
            datetime(2026, 3, 27, 15, tzinfo=UTC),
            datetime(2026, 3, 30, 8, tzinfo=UTC),
            BERLIN,
            6 * 3600,
        ),
        # Good Friday 3 April 2026 is a holiday: Thu 16:00 -> Mon 10:00 is 1 + 4 + 1 h.
        (
            datetime(2026, 4, 2, 14, tzinfo=UTC),
            datetime(2026, 4, 6, 8, tzinfo=UTC),
            BERLIN,
            6 * 3600,
        ),
    ],
)
def test_sql_matches_the_definition_and_routing(start, end, schedule, expected):
    assert business_seconds_between(start, end, schedule) == pytest.approx(expected)
    assert sql_seconds(start, end, schedule) == pytest.approx(expected)


def test_sql_matches_routing_over_many_intervals():
    base = datetime(2026, 3, 20, tzinfo=UTC)
    for step in range(0, 24 * 14, 7):
        start = (
            base.replace(hour=0)
            + (datetime(2026, 1, 1, step % 24, tzinfo=UTC) - datetime(2026, 1, 1, tzinfo=UTC)) * 0
        )
        start = datetime.fromtimestamp(base.timestamp() + step * 3600 + 17 * 60, tz=UTC)
        end = datetime.fromtimestamp(start.timestamp() + (step % 97) * 3600 + 600, tz=UTC)
        assert sql_seconds(start, end, BERLIN) == pytest.approx(
            business_seconds_between(start, end, BERLIN)
        ), (start, end)
