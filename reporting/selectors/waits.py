# ruff: noqa: S608 -- the SQL below is assembled only from constants and table names;
# every value is a bound parameter.
"""Next response time (docs/metrics.md): the live SQL of the waits and the metrics read
from the stored ones (reporting_responsewait)."""

from __future__ import annotations

from typing import Any

from reporting.selectors.filters import ReportFilters
from reporting.selectors.sql import (
    CONVERSATIONS,
    MESSAGES,
    WAITS,
    attribute_condition,
    business_seconds,
    fetch_rows,
    schedule_join,
    stats,
)


def live_waits_sql() -> str:
    """The waits (docs/metrics.md, next response time) of the conversations in %(ids)s,
    computed from their messages; needs %(bh_schedules)s."""
    schedule_columns, schedule_joins = schedule_join("c.team_id")
    return f"""
    WITH active AS (
        SELECT c.id, c.team_id, c.assignee_id {schedule_columns}
        FROM {CONVERSATIONS} c {schedule_joins}
        WHERE c.id = ANY(%(ids)s)
    ),
    exchanges AS (
        SELECT m.conversation_id, m.created_at, m.channel, m.endpoint_id,
               m.direction = 'out' AS is_reply,
               lag(m.direction = 'out') OVER forward AS after_reply,
               min(m.created_at) FILTER (WHERE m.direction = 'out') OVER backward
                   AS next_reply_at
        FROM {MESSAGES} m JOIN active a ON a.id = m.conversation_id
        WHERE (m.direction = 'in' AND m.kind IN ('customer', 'call'))
           OR (m.direction = 'out' AND m.kind = 'agent')
        WINDOW forward AS (PARTITION BY m.conversation_id ORDER BY m.created_at, m.id),
               backward AS (
                   PARTITION BY m.conversation_id ORDER BY m.created_at DESC, m.id DESC
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
               )
    )
    SELECT x.conversation_id, x.created_at AS started_at, x.next_reply_at AS replied_at,
           extract(epoch FROM x.next_reply_at - x.created_at)::double precision AS seconds,
           {business_seconds("x.created_at", "x.next_reply_at", "a")} AS business_seconds,
           x.channel, x.endpoint_id, a.team_id, a.assignee_id
    FROM exchanges x JOIN active a ON a.id = x.conversation_id
    WHERE NOT x.is_reply AND x.after_reply
    """


def next_response_metrics(*, filters: ReportFilters) -> dict[str, Any]:
    """Waits that start in the period (docs/metrics.md), from the stored waits."""
    sql = f"""
    WITH waits AS (
        SELECT seconds AS nrt, business_seconds AS nrt_business
        FROM {WAITS}
        WHERE started_at >= %(start)s AND started_at < %(end)s
          AND (%(team)s::bigint IS NULL OR team_id = %(team)s)
          AND (%(agent)s::bigint IS NULL OR assignee_id = %(agent)s)
          AND (%(channel)s = '' OR channel = %(channel)s)
          AND (%(endpoint)s::bigint IS NULL OR endpoint_id = %(endpoint)s)
          {attribute_condition(WAITS + ".conversation_id")}
    )
    SELECT count(*) AS waits, count(*) FILTER (WHERE nrt IS NULL) AS open_waits,
           {stats("nrt", "nrt")},
           {stats("nrt_business", "nrt_business", enabled=filters.business)}
    FROM waits
    """
    return fetch_rows(sql, filters.params())[0]
