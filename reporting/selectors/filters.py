"""A report's period and filters, and the duration buckets its distributions use."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from channels_app.models import ChannelEndpoint

# Upper bounds (seconds) of the duration buckets; the last bucket is open-ended.
DURATION_BUCKETS: tuple[int, ...] = (300, 900, 3600, 4 * 3600, 86400, 3 * 86400)
DURATION_BUCKET_LABELS: tuple[str, ...] = (
    "< 5 min",
    "5-15 min",
    "15-60 min",
    "1-4 h",
    "4-24 h",
    "1-3 d",
    "> 3 d",
)
CHANNELS: tuple[str, ...] = tuple(ChannelEndpoint.Kind.values)


@dataclass(frozen=True)
class ReportFilters:
    """A report's period (local days `start`..`end`, both included) and optional filters.

    `business` reports durations in business time (each conversation measured with its
    team's business hours, docs/metrics.md) instead of calendar time.
    """

    start: date
    end: date
    tz: str = field(default_factory=lambda: settings.TIME_ZONE)
    team_id: int | None = None
    agent_id: int | None = None
    channel: str = ""
    endpoint_id: int | None = None
    repeat_days: int = 7
    business: bool = False
    # A customer attribute the conversations' customers have: a JSON object, e.g.
    # '{"plan": "pro"}' (reporting/forms.py types it by its definition); "" for none.
    customer_attribute: str = ""
    # A conversation attribute the conversations have, the same way: '{"order_type": "refund"}'.
    conversation_attribute: str = ""

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("The period ends before it starts.")
        ZoneInfo(self.tz)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(0), self.zone)

    @property
    def end_at(self) -> datetime:
        """Exclusive: the midnight after `end`."""
        return datetime.combine(self.end + timedelta(days=1), time(0), self.zone)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def by_attribute(self) -> bool:
        """Filtered by a customer's or a conversation's attribute: only per-conversation
        rows can say (the hourly rollups know neither)."""
        return bool(self.customer_attribute or self.conversation_attribute)

    def previous(self) -> ReportFilters:
        """The same number of days immediately before this period."""
        return replace(
            self,
            start=self.start - timedelta(days=self.days),
            end=self.start - timedelta(days=1),
        )

    def params(self) -> dict[str, Any]:
        return {
            "start": self.start_at,
            "end": self.end_at,
            "tz": self.tz,
            "team": self.team_id,
            "agent": self.agent_id,
            "channel": self.channel,
            "endpoint": self.endpoint_id,
            "repeat_days": self.repeat_days,
            "buckets": list(DURATION_BUCKETS),
            "attribute": self.customer_attribute or None,
            "conversation_attribute": self.conversation_attribute or None,
        }
