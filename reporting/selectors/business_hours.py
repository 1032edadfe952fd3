"""Business hours as the metric SQL takes them: each team's schedule, as parameters."""

from __future__ import annotations

import json
from typing import Any

from agents.business_hours import Schedule
from agents.models import Team
from agents.selectors import schedule_for

# (the schedule for conversations of teams without business hours, per-team schedules)
Schedules = tuple[Schedule, tuple[tuple[int, Schedule], ...]]


def desk_schedules() -> Schedules:
    """Each team's business hours (`agents.models.Team.business_hours`); a team without them
    runs on the clock, as routing's SLA clocks do."""
    teams = (
        Team.objects.filter(business_hours__isnull=False)
        .select_related("business_hours")
        .prefetch_related("business_hours__intervals", "business_hours__holidays")
    )
    return Schedule.always(), tuple((team.pk, schedule_for(team.business_hours)) for team in teams)


def schedule_params(schedule: Schedule) -> dict[str, Any]:
    weekdays, opens, closes = [], [], []
    for weekday, intervals in sorted(schedule.weekly.items()):
        for opening, closing in intervals:
            weekdays.append(weekday)
            opens.append(opening)
            closes.append(closing)
    return {
        "bh_tz": schedule.timezone,
        "bh_weekdays": weekdays,
        "bh_opens": opens,
        "bh_closes": closes,
        "bh_holidays": sorted(schedule.holidays),
    }


def schedules_param(schedules: Schedules) -> str:
    default, per_team = schedules
    records = []
    for team_id, schedule in [(None, default), *per_team]:
        values = schedule_params(schedule)
        records.append(
            {
                "team_id": team_id,
                "tz": values["bh_tz"],
                "weekdays": values["bh_weekdays"],
                "opens": values["bh_opens"],
                "closes": values["bh_closes"],
                "holidays": [day.isoformat() for day in values["bh_holidays"]],
            }
        )
    return json.dumps(records)


def has_business_hours() -> bool:
    return Team.objects.filter(business_hours__isnull=False).exists()
