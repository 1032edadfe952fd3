# ruff: noqa: S608 -- the SQL below is assembled only from constants and table names;
# every value is a bound parameter.
"""CSAT metrics (docs/metrics.md): the surveys sent in the period and their answers."""

from __future__ import annotations

from typing import Any

from reporting.selectors.filters import ReportFilters
from reporting.selectors.sql import (
    RESPONSES,
    SURVEYS,
    attribute_condition,
    fetch_rows,
    ratio,
)


def _survey_conditions() -> str:
    return (
        "s.sent_at >= %(start)s AND s.sent_at < %(end)s"
        " AND (%(team)s::bigint IS NULL OR s.team_id = %(team)s)"
        " AND (%(agent)s::bigint IS NULL OR s.agent_id = %(agent)s)"
        " AND (%(channel)s = '' OR s.channel = %(channel)s)"
        " AND (%(endpoint)s::bigint IS NULL OR s.endpoint_id = %(endpoint)s)"
    ) + attribute_condition("s.conversation_id")


def csat_breakdown(*, filters: ReportFilters) -> dict[str, Any]:
    """Surveys sent in the period and their answers: {"total": row, "agent": [...],
    "team": [...]} grouped by the agent and team copied onto each survey."""
    sql = f"""
    SELECT s.agent_id, s.team_id, GROUPING(s.agent_id) AS by_agent,
           GROUPING(s.team_id) AS by_team,
           count(*) AS surveys, count(r.id) AS responses,
           avg(r.score)::double precision AS average,
           count(*) FILTER (WHERE r.score >= 4) AS satisfied,
           count(*) FILTER (WHERE r.score = 1) AS score_1,
           count(*) FILTER (WHERE r.score = 2) AS score_2,
           count(*) FILTER (WHERE r.score = 3) AS score_3,
           count(*) FILTER (WHERE r.score = 4) AS score_4,
           count(*) FILTER (WHERE r.score = 5) AS score_5
    FROM {SURVEYS} s LEFT JOIN {RESPONSES} r ON r.survey_id = s.id
    WHERE {_survey_conditions()}
    GROUP BY GROUPING SETS ((), (s.agent_id), (s.team_id))
    """
    result: dict[str, Any] = {"total": None, "agent": [], "team": []}
    for row in fetch_rows(sql, filters.params()):
        row["response_rate"] = ratio(row["responses"], row["surveys"])
        row["csat_percent"] = ratio(row["satisfied"], row["responses"])
        row["distribution"] = {score: row.pop(f"score_{score}") for score in range(1, 6)}
        by_agent, by_team = row.pop("by_agent") == 0, row.pop("by_team") == 0
        agent_id, team_id = row.pop("agent_id"), row.pop("team_id")
        if by_agent:
            result["agent"].append(row | {"group_id": agent_id})
        elif by_team:
            result["team"].append(row | {"group_id": team_id})
        else:
            result["total"] = row
    for name in ("agent", "team"):
        result[name].sort(key=lambda r: (r["group_id"] is None, r["group_id"] or 0))
    return result


def csat_metrics(*, filters: ReportFilters, group_by: str | None = None) -> list[dict[str, Any]]:
    """The CSAT numbers as one row (`group_by` None) or per survey agent / team."""
    breakdown = csat_breakdown(filters=filters)
    return [breakdown["total"]] if group_by is None else breakdown[group_by]


def csat_trend(*, filters: ReportFilters) -> list[dict[str, Any]]:
    """Answers to the period's surveys by local day of the answer."""
    sql = f"""
    SELECT (r.created_at AT TIME ZONE %(tz)s)::date AS day, count(*) AS responses,
           avg(r.score)::double precision AS average
    FROM {SURVEYS} s JOIN {RESPONSES} r ON r.survey_id = s.id
    WHERE {_survey_conditions()}
    GROUP BY 1 ORDER BY 1
    """
    return fetch_rows(sql, filters.params())
