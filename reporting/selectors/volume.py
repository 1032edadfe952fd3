# ruff: noqa: S608 -- the SQL below is assembled only from constants and table names;
# every value is a bound parameter.
"""Volume (docs/metrics.md): new conversations and customer messages by day, channel
and endpoint, and customer messages by weekday and hour."""

from __future__ import annotations

from typing import Any

from reporting.selectors.facts import facts_sql
from reporting.selectors.filters import ReportFilters
from reporting.selectors.sql import (
    CONVERSATIONS,
    MESSAGES,
    ROLLUP,
    attribute_condition,
    fetch_rows,
)


def conversation_volume(*, filters: ReportFilters) -> list[dict[str, Any]]:
    """New conversations by local day and the channel and endpoint they started on."""
    sql = f"""
    {facts_sql(filters)}
    SELECT (created_at AT TIME ZONE %(tz)s)::date AS day, start_channel AS channel,
           endpoint_id, count(*) AS count
    FROM facts GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    """
    return fetch_rows(sql, filters.params())


def _customer_messages_sql(filters: ReportFilters) -> str:
    """`WITH customer_messages(created_at, channel, endpoint_id, count)`: from the hourly
    rollup, or from the messages themselves when filtered by agent or customer attribute
    (the rollup is kept per team, not per agent, and knows no customer). The rollup's
    hours are UTC hours, exact for report timezones whose offset is a whole number of
    hours."""
    if filters.agent_id is None and not filters.by_attribute:
        return f"""
        WITH customer_messages AS (
            SELECT hour AS created_at, channel, endpoint_id, count
            FROM {ROLLUP}
            WHERE hour >= %(start)s AND hour < %(end)s
              AND (%(team)s::bigint IS NULL OR team_id = %(team)s)
              AND (%(channel)s = '' OR channel = %(channel)s)
              AND (%(endpoint)s::bigint IS NULL OR endpoint_id = %(endpoint)s)
        )"""
    return f"""
    WITH customer_messages AS (
        SELECT m.created_at, m.channel, m.endpoint_id, 1 AS count
        FROM {MESSAGES} m
        JOIN {CONVERSATIONS} c ON c.id = m.conversation_id
        WHERE m.created_at >= %(start)s AND m.created_at < %(end)s
          AND m.direction = 'in' AND m.kind IN ('customer', 'call')
          AND (%(team)s::bigint IS NULL OR c.team_id = %(team)s)
          AND (%(agent)s::bigint IS NULL OR c.assignee_id = %(agent)s)
          AND (%(channel)s = '' OR m.channel = %(channel)s)
          AND (%(endpoint)s::bigint IS NULL OR m.endpoint_id = %(endpoint)s)
          {attribute_condition("c.id")}
    )"""


def message_volume(*, filters: ReportFilters) -> list[dict[str, Any]]:
    """Customer messages by local day, channel and endpoint."""
    sql = f"""
    {_customer_messages_sql(filters)}
    SELECT (created_at AT TIME ZONE %(tz)s)::date AS day, channel, endpoint_id,
           sum(count)::bigint AS count
    FROM customer_messages GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    """
    return fetch_rows(sql, filters.params())


def message_heatmap(*, filters: ReportFilters) -> list[list[int]]:
    """Customer messages by local weekday (0 = Monday) x hour of day: 7 rows of 24."""
    sql = f"""
    {_customer_messages_sql(filters)}
    SELECT extract(isodow FROM created_at AT TIME ZONE %(tz)s)::int - 1 AS weekday,
           extract(hour FROM created_at AT TIME ZONE %(tz)s)::int AS hour,
           sum(count)::bigint AS count
    FROM customer_messages GROUP BY 1, 2
    """
    grid = [[0] * 24 for _ in range(7)]
    for row in fetch_rows(sql, filters.params()):
        grid[row["weekday"]][row["hour"]] = row["count"]
    return grid
