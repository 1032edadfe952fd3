# ruff: noqa: S608 -- the SQL below is assembled only from constants and table names;
# every value is a bound parameter.
"""Conversation metrics of the period's cohort (docs/metrics.md): counts, rates,
durations and their distributions, per agent, team and channel, and the channel handoffs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reporting.selectors.facts import facts_params, facts_sql
from reporting.selectors.filters import DURATION_BUCKET_LABELS, ReportFilters
from reporting.selectors.sql import fetch_rows, ratio, stats

GROUPINGS = {"agent": "assignee_id", "team": "team_id", "channel": "start_channel"}


def _bucket_counts(column: str, prefix: str) -> str:
    return ", ".join(
        f"count(*) FILTER (WHERE width_bucket({column}, %(buckets)s::double precision[]) = {i})"
        f" AS {prefix}_bucket_{i}"
        for i in range(len(DURATION_BUCKET_LABELS))
    )


def _count_columns() -> str:
    return """
        count(*) FILTER (WHERE resolved) AS resolved,
        count(*) FILTER (WHERE ever_resolved) AS ever_resolved,
        count(*) FILTER (WHERE reopened) AS reopened,
        count(*) FILTER (WHERE resolved AND NOT reopened AND NOT switched AND NOT repeat_contact)
            AS first_contact_resolved,
        count(*) FILTER (WHERE repeat_contact) AS repeat_contacts,
        count(*) FILTER (WHERE switched) AS handoff_conversations,
        count(*) FILTER (WHERE switched AND resolved AND NOT reopened) AS handoffs_resolved,
        count(*) FILTER (WHERE frt IS NULL) AS unanswered,
        avg(handling)::double precision AS handling_average,
        avg(handling_business)::double precision AS handling_business_average,
        count(*) FILTER (WHERE first_response_sla_met) AS first_response_sla_met,
        count(*) FILTER (WHERE NOT first_response_sla_met) AS first_response_sla_breached,
        count(*) FILTER (WHERE resolution_sla_met) AS resolution_sla_met,
        count(*) FILTER (WHERE NOT resolution_sla_met) AS resolution_sla_breached"""


def _median(column: str, *, enabled: bool = True) -> str:
    if not enabled:
        return f"NULL::double precision AS {column}_median"
    return f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {column}) AS {column}_median"


def conversation_breakdown(
    *, filters: ReportFilters, groupings: Sequence[str] = (), live: bool = False
) -> dict[str, Any]:
    """The conversation metrics of docs/metrics.md for the cohort: the total (every
    statistic and the duration distributions) and, for each of `groupings` ("agent",
    "team", "channel"), one row per group (`group_id`: the assignee, team or starting
    channel; None for unassigned / no team) with the counts, rates, averages and medians.

    Returns {"total": row, "agent": [rows], ...}.
    """
    duration = "_business" if filters.business else ""
    params = facts_params(filters, live=live)
    total_sql = f"""
    {facts_sql(filters, live=live)}
    SELECT count(*) AS conversations, {_count_columns()},
        {stats("frt", "frt")},
        {stats("frt_business", "frt_business", enabled=filters.business)},
        {stats("resolution", "resolution")},
        {stats("resolution_business", "resolution_business", enabled=filters.business)},
        {_bucket_counts("frt" + duration, "frt")},
        {_bucket_counts("resolution" + duration, "resolution")}
    FROM facts
    """
    (total,) = fetch_rows(total_sql, params)
    total = _with_rates(total)
    for metric in ("frt", "resolution"):
        total[f"{metric}_distribution"] = [
            {"bucket": label, "count": total.pop(f"{metric}_bucket_{i}")}
            for i, label in enumerate(DURATION_BUCKET_LABELS)
        ]
    result: dict[str, Any] = {"total": total, **{name: [] for name in groupings}}
    if not groupings:
        return result
    # The groups partition the same rows; one pass with grouping sets, lighter columns
    # (the per-group tables show medians, not distributions).
    columns = [GROUPINGS[name] for name in groupings]
    sets = ", ".join(f"({column})" for column in columns)
    flags = ", ".join(f"GROUPING({column}) AS grouped_{column}" for column in columns)
    groups_sql = f"""
    {facts_sql(filters, live=live)}
    SELECT {", ".join(columns)}, {flags}, count(*) AS conversations, {_count_columns()},
        {_median("frt")}, {_median("resolution")},
        {_median("frt_business", enabled=filters.business)},
        {_median("resolution_business", enabled=filters.business)}
    FROM facts GROUP BY GROUPING SETS ({sets})
    """
    for row in fetch_rows(groups_sql, params):
        row = _with_rates(row)
        grouped_by = next(
            name
            for name, column in zip(groupings, columns, strict=True)
            if row[f"grouped_{column}"] == 0
        )
        row["group_id"] = row[GROUPINGS[grouped_by]]
        for column in columns:
            row.pop(column)
            row.pop(f"grouped_{column}")
        result[grouped_by].append(row)
    for name in groupings:
        result[name].sort(key=lambda r: (r["group_id"] is None, str(r["group_id"])))
    return result


def conversation_metrics(
    *, filters: ReportFilters, group_by: str | None = None, live: bool = False
) -> list[dict[str, Any]]:
    """The conversation metrics, as a single row (`group_by` None) or one row per group."""
    if group_by is None:
        return [conversation_breakdown(filters=filters, live=live)["total"]]
    return conversation_breakdown(filters=filters, groupings=[group_by], live=live)[group_by]


def _with_rates(row: dict[str, Any]) -> dict[str, Any]:
    row["resolution_rate"] = ratio(row["resolved"], row["conversations"])
    row["reopen_rate"] = ratio(row["reopened"], row["ever_resolved"])
    row["first_contact_resolution_rate"] = ratio(row["first_contact_resolved"], row["resolved"])
    row["repeat_contact_rate"] = ratio(row["repeat_contacts"], row["resolved"])
    row["handoff_share"] = ratio(row["handoff_conversations"], row["conversations"])
    row["handoff_success_rate"] = ratio(row["handoffs_resolved"], row["handoff_conversations"])
    row["first_response_sla_compliance"] = ratio(
        row["first_response_sla_met"],
        row["first_response_sla_met"] + row["first_response_sla_breached"],
    )
    row["resolution_sla_compliance"] = ratio(
        row["resolution_sla_met"], row["resolution_sla_met"] + row["resolution_sla_breached"]
    )
    return row


def handoff_matrix(*, filters: ReportFilters) -> list[dict[str, Any]]:
    """Channel switches of cohort conversations by (from, to) channel."""
    sql = f"""
    {facts_sql(filters)}
    SELECT handoff->>0 AS from_channel, handoff->>1 AS to_channel, count(*) AS count
    FROM facts f CROSS JOIN LATERAL jsonb_array_elements(f.handoffs) AS handoff
    WHERE f.switched
    GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2
    """
    return fetch_rows(sql, filters.params())
