"""Business-time arithmetic: pure functions, no database.

A `Schedule` is a weekly timetable in one IANA timezone plus a set of holidays (local
dates with no working time). Opening hours are wall-clock times in that timezone, so a
9:00-17:00 day stays 9:00-17:00 across a DST change; the real seconds in it are counted
by converting each local boundary to UTC (a 00:00-24:00 day on the spring-forward date
holds 23 hours, on the fall-back date 25).

API:
- `add_business_time(start, seconds, schedule)` -> the aware datetime `seconds` business
  seconds after `start` (if `start` is outside business hours, the clock starts at the
  next opening).
- `business_seconds_between(start, end, schedule)` -> business seconds in [start, end)
  (negative when end < start).
- `is_open(at, schedule)` -> whether `at` falls inside business hours.
- `Schedule.always()` -> 24/7 with no holidays, i.e. plain wall-clock time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
# How far ahead to look for working time before deciding a schedule has none.
SEARCH_DAYS = 5 * 366


@dataclass(frozen=True)
class Schedule:
    """`weekly[weekday]` (0 = Monday) holds (start minute, end minute) pairs of the local
    day, end exclusive and at most 1440 (midnight at the end of the day)."""

    timezone: str = "UTC"
    weekly: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        ZoneInfo(self.timezone)  # raises for an unknown zone
        merged = {}
        for weekday, intervals in self.weekly.items():
            if not 0 <= weekday <= 6:
                raise ValueError(f"Weekday must be 0 (Monday) to 6 (Sunday), not {weekday}.")
            merged[weekday] = _merge(intervals)
        object.__setattr__(self, "weekly", merged)
        object.__setattr__(self, "holidays", frozenset(self.holidays))

    @classmethod
    def always(cls, timezone: str = "UTC") -> Schedule:
        return cls(timezone=timezone, weekly={day: ((0, MINUTES_PER_DAY),) for day in range(7)})

    @classmethod
    def from_rows(
        cls,
        timezone: str,
        rows: Iterable[tuple[int, time, time | None]],
        holidays: Iterable[date] = (),
    ) -> Schedule:
        """Build from (weekday, opens, closes) rows; `closes` of None or 00:00 means
        midnight at the end of the day."""
        weekly: dict[int, list[tuple[int, int]]] = {}
        for weekday, opens, closes in rows:
            start = opens.hour * 60 + opens.minute
            end = (
                MINUTES_PER_DAY
                if closes is None or closes == time(0)
                else closes.hour * 60 + closes.minute
            )
            weekly.setdefault(weekday, []).append((start, end))
        return cls(
            timezone=timezone,
            weekly={day: tuple(intervals) for day, intervals in weekly.items()},
            holidays=frozenset(holidays),
        )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def has_working_time(self) -> bool:
        return any(self.weekly.values())


def _merge(intervals: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    result: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if not 0 <= start < end <= MINUTES_PER_DAY:
            raise ValueError(f"Opening hours {start}-{end} (minutes) are not a valid range.")
        if result and start <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], end))
        else:
            result.append((start, end))
    return tuple(result)


def _local_moment(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of `minute` past local midnight on `day` (1440 = next midnight).

    A wall time that does not exist (spring-forward gap) maps, with fold=0, to the
    instant the clock jumps past it, which keeps intervals in order."""
    if minute >= MINUTES_PER_DAY:
        day, minute = day + timedelta(days=1), 0
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
    return local.astimezone(UTC)


def _intervals_on(day: date, schedule: Schedule) -> Iterator[tuple[datetime, datetime]]:
    if day in schedule.holidays:
        return
    zone = schedule.zone
    for start, end in schedule.weekly.get(day.weekday(), ()):
        opens, closes = _local_moment(day, start, zone), _local_moment(day, end, zone)
        if closes > opens:
            yield opens, closes


def _require_aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware.")
    return value.astimezone(UTC)


def add_business_time(start: datetime, seconds: float, schedule: Schedule) -> datetime:
    """The moment `seconds` of business time after `start` (returned in UTC)."""
    start = _require_aware(start, "start")
    if seconds <= 0:
        return start
    if not schedule.has_working_time:
        raise ValueError("The schedule has no working hours.")
    remaining = timedelta(seconds=seconds)
    day = start.astimezone(schedule.zone).date()
    for _ in range(SEARCH_DAYS):
        for opens, closes in _intervals_on(day, schedule):
            if closes <= start:
                continue
            begin = max(opens, start)
            available = closes - begin
            if available >= remaining:
                return begin + remaining
            remaining -= available
        day += timedelta(days=1)
    raise ValueError("The schedule has no working time in the next five years.")


def business_seconds_between(start: datetime, end: datetime, schedule: Schedule) -> float:
    """Business seconds in [start, end); negative when `end` is before `start`."""
    start = _require_aware(start, "start")
    end = _require_aware(end, "end")
    if end < start:
        return -business_seconds_between(end, start, schedule)
    total = timedelta(0)
    day = start.astimezone(schedule.zone).date()
    last_day = end.astimezone(schedule.zone).date()
    while day <= last_day:
        for opens, closes in _intervals_on(day, schedule):
            overlap = min(closes, end) - max(opens, start)
            if overlap > timedelta(0):
                total += overlap
        day += timedelta(days=1)
    return total.total_seconds()


def is_open(at: datetime, schedule: Schedule) -> bool:
    at = _require_aware(at, "at")
    day = at.astimezone(schedule.zone).date()
    return any(opens <= at < closes for opens, closes in _intervals_on(day, schedule))
