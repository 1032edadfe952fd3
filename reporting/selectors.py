# ruff: noqa: S608 -- the SQL below is assembled only from constants and table names;
# every value is a bound parameter.
"""Reads of the reporting app: the metric queries defined in docs/metrics.md.

The metric queries are PostgreSQL SQL (window functions, `percentile_cont`, JSON
operators): one query per panel, aggregated in the database, so a year of data never
travels to Python. `reporting/migrations/0002` adds `reporting_business_seconds` for the
business-time variants.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction

from agents.business_hours import Schedule
from agents.selectors import schedule_for
from channels_app.models import ChannelEndpoint
from conversations.models import Conversation, ConversationEvent, Message
from reporting import tables
from reporting.models import (
    ConversationFact,
    CsatResponse,
    CsatSurvey,
    MessageRollup,
    ResponseWait,
)

CONVERSATIONS = Conversation._meta.db_table
MESSAGES = Message._meta.db_table
EVENTS = ConversationEvent._meta.db_table
ENDPOINTS = ChannelEndpoint._meta.db_table
SURVEYS = CsatSurvey._meta.db_table
RESPONSES = CsatResponse._meta.db_table
FACTS = ConversationFact._meta.db_table
WAITS = ResponseWait._meta.db_table
ROLLUP = MessageRollup._meta.db_table

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


# --- CSAT survey page ---------------------------------------------------------------------


def survey_for_token(*, token: str) -> CsatSurvey | None:
    return CsatSurvey.objects.select_related("conversation").filter(token=token).first()


def survey_answer(*, survey: CsatSurvey) -> CsatResponse | None:
    return CsatResponse.objects.filter(survey=survey).first()


# --- Filters --------------------------------------------------------------------------------


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
        }


# --- Business hours -------------------------------------------------------------------------

# (the schedule for conversations of teams without business hours, per-team schedules)
Schedules = tuple[Schedule, tuple[tuple[int, Schedule], ...]]


def desk_schedules() -> Schedules:
    """Each team's business hours (routing's `Team.business_hours`); a team without them
    runs on the clock, as routing's SLA clocks do."""
    from agents.models import Team

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


def _business(start_sql: str, end_sql: str, alias: str) -> str:
    """Business seconds with the schedule columns (bh_*) carried by row `alias`."""
    return (
        f"reporting_business_seconds({start_sql}, {end_sql}, {alias}.bh_tz, "
        f"{alias}.bh_weekdays, {alias}.bh_opens, {alias}.bh_closes, {alias}.bh_holidays)"
    )


def _schedule_join(team_column: str) -> tuple[str, str]:
    """(columns, joins) giving each row its team's schedule from %(bh_schedules)s."""
    columns = ", ".join(
        f"coalesce(team_bh.{name}, default_bh.{name}) AS bh_{name}"
        for name in ("tz", "weekdays", "opens", "closes", "holidays")
    )
    records = (
        "jsonb_to_recordset(%(bh_schedules)s::jsonb) AS {alias}(team_id bigint, tz text,"
        " weekdays integer[], opens integer[], closes integer[], holidays date[])"
    )
    joins = (
        f" LEFT JOIN {records.format(alias='team_bh')} ON team_bh.team_id = {team_column}"
        f" CROSS JOIN (SELECT * FROM {records.format(alias='all_bh')}"
        " WHERE all_bh.team_id IS NULL) default_bh"
    )
    return ", " + columns, joins


def _rows(sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    with transaction.atomic(), connection.cursor() as cursor:
        # The planner overestimates these joins and would spend more time compiling them
        # with JIT (seconds) than running them (milliseconds); their sorts fit in memory.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


# --- Per-conversation facts: the live SQL (definitions) and the stored rows ------------------


def live_facts_sql(*, scope: str) -> str:
    """`WITH ... live_facts AS (...)`: one row per conversation, computed from
    conversations, events and messages. `scope` "ids" takes the conversations in
    %(ids)s; "period" the cohort of %(start)s..%(end)s with the filters. Needs
    %(bh_schedules)s (`schedules_param`)."""
    if scope == "ids":
        where = "c.id = ANY(%(ids)s)"
    elif scope == "period":
        where = (
            "c.created_at >= %(start)s AND c.created_at < %(end)s"
            " AND (%(team)s::bigint IS NULL OR c.team_id = %(team)s)"
            " AND (%(agent)s::bigint IS NULL OR c.assignee_id = %(agent)s)"
            " AND (%(channel)s = '' OR e.kind = %(channel)s)"
            " AND (%(endpoint)s::bigint IS NULL OR c.endpoint_id = %(endpoint)s)"
        )
    else:
        raise ValueError(scope)
    schedule_columns, schedule_joins = _schedule_join("c.team_id")
    return f"""
    WITH cohort AS (
        SELECT c.id, c.customer_id, c.created_at, c.status, c.resolved_at,
               c.first_response_at, c.first_response_due_at, c.resolution_due_at,
               c.team_id, c.assignee_id, c.endpoint_id, e.kind AS start_channel
               {schedule_columns}
        FROM {CONVERSATIONS} c JOIN {ENDPOINTS} e ON e.id = c.endpoint_id
        {schedule_joins}
        WHERE {where}
    ),
    timeline AS (
        SELECT conversation_id, at, state,
               lag(state) OVER w AS previous_state,
               lead(at) OVER w AS next_at
        FROM (
            SELECT co.id AS conversation_id, co.created_at AS at, 'open' AS state,
                   0::bigint AS seq
            FROM cohort co
            UNION ALL
            SELECT ev.conversation_id, ev.created_at,
                   CASE WHEN ev.kind = 'reopened' THEN 'open' ELSE ev.data->>'to' END,
                   ev.id
            FROM {EVENTS} ev JOIN cohort co ON co.id = ev.conversation_id
            WHERE ev.kind IN ('status_changed', 'reopened')
        ) transitions
        WINDOW w AS (PARTITION BY conversation_id ORDER BY at, seq)
    ),
    status_facts AS (
        SELECT t.conversation_id,
               bool_or(t.state = 'resolved') AS ever_resolved,
               bool_or(t.previous_state = 'resolved' AND t.state <> 'resolved') AS reopened,
               sum(extract(epoch FROM t.next_at - t.at))
                   FILTER (WHERE t.state = 'open' AND t.next_at IS NOT NULL) AS open_seconds,
               sum({_business("t.at", "t.next_at", "co")})
                   FILTER (WHERE t.state = 'open' AND t.next_at IS NOT NULL)
                   AS open_business_seconds
        FROM timeline t JOIN cohort co ON co.id = t.conversation_id
        GROUP BY t.conversation_id
    ),
    switched AS (
        SELECT ev.conversation_id,
               jsonb_agg(jsonb_build_array(ev.data->>'from', ev.data->>'to')
                         ORDER BY ev.created_at, ev.id) AS handoffs
        FROM {EVENTS} ev JOIN cohort co ON co.id = ev.conversation_id
        WHERE ev.kind = 'channel_switched'
        GROUP BY ev.conversation_id
    ),
    live_facts AS (
        SELECT co.id AS conversation_id, co.customer_id, co.created_at, co.team_id,
               co.assignee_id, co.endpoint_id, co.start_channel, co.status, co.resolved_at,
               co.first_response_at, co.first_response_due_at, co.resolution_due_at,
               coalesce(sf.ever_resolved, false) AS ever_resolved,
               coalesce(sf.reopened, false) AS reopened,
               sw.conversation_id IS NOT NULL AS switched,
               coalesce(sw.handoffs, '[]'::jsonb) AS handoffs,
               CASE WHEN co.status = 'resolved' THEN (
                   SELECT min(later.created_at) FROM {CONVERSATIONS} later
                   WHERE later.customer_id = co.customer_id AND later.id <> co.id
                     AND later.created_at > co.resolved_at
               ) END AS next_contact_at,
               extract(epoch FROM co.first_response_at - co.created_at)::double precision
                   AS frt,
               {_business("co.created_at", "co.first_response_at", "co")} AS frt_business,
               CASE WHEN co.status = 'resolved'
                    THEN extract(epoch FROM co.resolved_at - co.created_at)::double precision
               END AS resolution,
               CASE WHEN co.status = 'resolved'
                    THEN {_business("co.created_at", "co.resolved_at", "co")}
               END AS resolution_business,
               CASE WHEN co.status = 'resolved' THEN sf.open_seconds::double precision END
                   AS handling,
               CASE WHEN co.status = 'resolved' THEN sf.open_business_seconds END
                   AS handling_business
        FROM cohort co
        LEFT JOIN status_facts sf ON sf.conversation_id = co.id
        LEFT JOIN switched sw ON sw.conversation_id = co.id
    )"""


def _derived_facts(source: str) -> str:
    """`facts`: the stored (or live) per-conversation columns plus those that depend on
    the report's settings (repeat window) or on now (SLA breaches of open work)."""
    return f"""
    facts AS (
        SELECT f.*,
               f.status = 'resolved' AS resolved,
               f.status = 'resolved' AND f.next_contact_at IS NOT NULL
                   AND f.next_contact_at <= f.resolved_at
                       + make_interval(days => %(repeat_days)s) AS repeat_contact,
               CASE
                   WHEN f.first_response_due_at IS NULL THEN NULL
                   WHEN f.first_response_at IS NOT NULL
                       THEN f.first_response_at <= f.first_response_due_at
                   WHEN f.first_response_due_at < now() THEN false
               END AS first_response_sla_met,
               CASE
                   WHEN f.resolution_due_at IS NULL THEN NULL
                   WHEN f.status = 'resolved' THEN f.resolved_at <= f.resolution_due_at
                   WHEN f.resolution_due_at < now() THEN false
               END AS resolution_sla_met
        FROM {source}
    )"""


def _facts_sql(filters: ReportFilters, *, live: bool = False) -> str:
    """`WITH ... facts AS (...)` for the period's cohort: from the stored facts
    (reporting_conversationfact, kept current by refresh_report_data) or, with `live`,
    computed from the base tables (the same definitions; slower)."""
    if live:
        return live_facts_sql(scope="period") + "," + _derived_facts("live_facts f")
    source = f"""{FACTS} f
        WHERE f.created_at >= %(start)s AND f.created_at < %(end)s
          AND (%(team)s::bigint IS NULL OR f.team_id = %(team)s)
          AND (%(agent)s::bigint IS NULL OR f.assignee_id = %(agent)s)
          AND (%(channel)s = '' OR f.start_channel = %(channel)s)
          AND (%(endpoint)s::bigint IS NULL OR f.endpoint_id = %(endpoint)s)"""
    return "WITH " + _derived_facts(source)


def _params(filters: ReportFilters, *, live: bool) -> dict[str, Any]:
    params = filters.params()
    if live:
        params["bh_schedules"] = schedules_param(desk_schedules())
    return params


def _stats(column: str, prefix: str, *, enabled: bool = True) -> str:
    if not enabled:
        return (
            ", ".join(
                f"NULL::double precision AS {prefix}_{name}"
                for name in ("median", "p90", "average")
            )
            + f", 0 AS {prefix}_count"
        )
    return (
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {column}) AS {prefix}_median, "
        f"percentile_cont(0.9) WITHIN GROUP (ORDER BY {column}) AS {prefix}_p90, "
        f"avg({column})::double precision AS {prefix}_average, "
        f"count({column}) AS {prefix}_count"
    )


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
    params = _params(filters, live=live)
    total_sql = f"""
    {_facts_sql(filters, live=live)}
    SELECT count(*) AS conversations, {_count_columns()},
        {_stats("frt", "frt")},
        {_stats("frt_business", "frt_business", enabled=filters.business)},
        {_stats("resolution", "resolution")},
        {_stats("resolution_business", "resolution_business", enabled=filters.business)},
        {_bucket_counts("frt" + duration, "frt")},
        {_bucket_counts("resolution" + duration, "resolution")}
    FROM facts
    """
    (total,) = _rows(total_sql, params)
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
    {_facts_sql(filters, live=live)}
    SELECT {", ".join(columns)}, {flags}, count(*) AS conversations, {_count_columns()},
        {_median("frt")}, {_median("resolution")},
        {_median("frt_business", enabled=filters.business)},
        {_median("resolution_business", enabled=filters.business)}
    FROM facts GROUP BY GROUPING SETS ({sets})
    """
    for row in _rows(groups_sql, params):
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


def _ratio(numerator: int | None, denominator: int | None) -> float | None:
    return numerator / denominator if denominator else None


def _with_rates(row: dict[str, Any]) -> dict[str, Any]:
    row["resolution_rate"] = _ratio(row["resolved"], row["conversations"])
    row["reopen_rate"] = _ratio(row["reopened"], row["ever_resolved"])
    row["first_contact_resolution_rate"] = _ratio(row["first_contact_resolved"], row["resolved"])
    row["repeat_contact_rate"] = _ratio(row["repeat_contacts"], row["resolved"])
    row["handoff_share"] = _ratio(row["handoff_conversations"], row["conversations"])
    row["handoff_success_rate"] = _ratio(row["handoffs_resolved"], row["handoff_conversations"])
    row["first_response_sla_compliance"] = _ratio(
        row["first_response_sla_met"],
        row["first_response_sla_met"] + row["first_response_sla_breached"],
    )
    row["resolution_sla_compliance"] = _ratio(
        row["resolution_sla_met"], row["resolution_sla_met"] + row["resolution_sla_breached"]
    )
    return row


def handoff_matrix(*, filters: ReportFilters) -> list[dict[str, Any]]:
    """Channel switches of cohort conversations by (from, to) channel."""
    sql = f"""
    {_facts_sql(filters)}
    SELECT handoff->>0 AS from_channel, handoff->>1 AS to_channel, count(*) AS count
    FROM facts f CROSS JOIN LATERAL jsonb_array_elements(f.handoffs) AS handoff
    WHERE f.switched
    GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2
    """
    return _rows(sql, filters.params())


# --- Volume ---------------------------------------------------------------------------------


def conversation_volume(*, filters: ReportFilters) -> list[dict[str, Any]]:
    """New conversations by local day and the channel and endpoint they started on."""
    sql = f"""
    {_facts_sql(filters)}
    SELECT (created_at AT TIME ZONE %(tz)s)::date AS day, start_channel AS channel,
           endpoint_id, count(*) AS count
    FROM facts GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    """
    return _rows(sql, filters.params())


def _customer_messages_sql(filters: ReportFilters) -> str:
    """`WITH customer_messages(created_at, channel, endpoint_id, count)`: from the hourly
    rollup, or from the messages themselves when filtered by agent (the rollup is kept
    per team, not per agent). The rollup's hours are UTC hours, exact for report
    timezones whose offset is a whole number of hours."""
    if filters.agent_id is None:
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
    )"""


def message_volume(*, filters: ReportFilters) -> list[dict[str, Any]]:
    """Customer messages by local day, channel and endpoint."""
    sql = f"""
    {_customer_messages_sql(filters)}
    SELECT (created_at AT TIME ZONE %(tz)s)::date AS day, channel, endpoint_id,
           sum(count)::bigint AS count
    FROM customer_messages GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    """
    return _rows(sql, filters.params())


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
    for row in _rows(sql, filters.params()):
        grid[row["weekday"]][row["hour"]] = row["count"]
    return grid


# --- Next response time ---------------------------------------------------------------------


def live_waits_sql() -> str:
    """The waits (docs/metrics.md, next response time) of the conversations in %(ids)s,
    computed from their messages; needs %(bh_schedules)s."""
    schedule_columns, schedule_joins = _schedule_join("c.team_id")
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
           {_business("x.created_at", "x.next_reply_at", "a")} AS business_seconds,
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
    )
    SELECT count(*) AS waits, count(*) FILTER (WHERE nrt IS NULL) AS open_waits,
           {_stats("nrt", "nrt")},
           {_stats("nrt_business", "nrt_business", enabled=filters.business)}
    FROM waits
    """
    return _rows(sql, filters.params())[0]


# --- CSAT -----------------------------------------------------------------------------------


def _survey_conditions() -> str:
    return (
        "s.sent_at >= %(start)s AND s.sent_at < %(end)s"
        " AND (%(team)s::bigint IS NULL OR s.team_id = %(team)s)"
        " AND (%(agent)s::bigint IS NULL OR s.agent_id = %(agent)s)"
        " AND (%(channel)s = '' OR s.channel = %(channel)s)"
        " AND (%(endpoint)s::bigint IS NULL OR s.endpoint_id = %(endpoint)s)"
    )


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
    for row in _rows(sql, filters.params()):
        row["response_rate"] = _ratio(row["responses"], row["surveys"])
        row["csat_percent"] = _ratio(row["satisfied"], row["responses"])
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
    return _rows(sql, filters.params())


# --- Live now -------------------------------------------------------------------------------


def live_counts(*, team_ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Open, waiting and SLA-breached conversations per team, as of now (docs/metrics.md,
    Live now). Runs on any database (the embedded default shows it too)."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from agents.models import Team

    now = timezone.now()
    unresolved = Conversation.objects.exclude(status=Conversation.Status.RESOLVED)
    breached = (
        Q(first_response_at__isnull=True, first_response_due_at__lt=now)
        | Q(waiting_since__isnull=False, next_response_due_at__lt=now)
        | Q(resolution_due_at__lt=now)
    )
    counts = {
        row["team_id"]: row
        for row in unresolved.values("team_id").annotate(
            open=Count("id", filter=Q(status=Conversation.Status.OPEN)),
            waiting=Count(
                "id",
                filter=Q(
                    status__in=[Conversation.Status.OPEN, Conversation.Status.PENDING],
                    waiting_since__isnull=False,
                ),
            ),
            breached=Count("id", filter=breached),
        )
    }
    teams = Team.objects.order_by("name")
    if team_ids is not None:
        teams = teams.filter(pk__in=team_ids)
    rows = [
        {
            "team_id": team.pk,
            "team": team.name,
            "open": counts.get(team.pk, {}).get("open", 0),
            "waiting": counts.get(team.pk, {}).get("waiting", 0),
            "breached": counts.get(team.pk, {}).get("breached", 0),
        }
        for team in teams
    ]
    if team_ids is None and None in counts:
        row = counts[None]
        rows.append(
            {
                "team_id": None,
                "team": "No team",
                "open": row["open"],
                "waiting": row["waiting"],
                "breached": row["breached"],
            }
        )
    return rows


# --- The dashboard --------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    kind: str  # "count", "rate", "duration" or "score"
    current: float | None
    previous: float | None
    higher_is_better: bool

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def change_ratio(self) -> float | None:
        """Relative change (counts, durations, scores); None without a base."""
        if self.change is None or not self.previous:
            return None
        return self.change / self.previous

    @property
    def trend(self) -> str:
        """ "better", "worse" or "same", for colouring the change."""
        if not self.change:
            return "same"
        return "better" if (self.change > 0) == self.higher_is_better else "worse"

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "kind": self.kind,
            "current": self.current,
            "previous": self.previous,
            "change": self.change,
            "change_ratio": self.change_ratio,
            "trend": self.trend,
        }


# (key, label, kind, higher is better, where the value comes from)
HEADLINES: tuple[tuple[str, str, str, bool, str], ...] = (
    ("conversations", "New conversations", "count", True, "conversations"),
    ("resolution_rate", "Resolution rate", "rate", True, "conversations"),
    ("frt_median", "First response (median)", "duration", False, "conversations"),
    ("nrt_median", "Next response (median)", "duration", False, "nrt"),
    ("resolution_median", "Resolution time (median)", "duration", False, "conversations"),
    ("resolution_p90", "Resolution time (p90)", "duration", False, "conversations"),
    ("first_contact_resolution_rate", "First contact resolution", "rate", True, "conversations"),
    ("repeat_contact_rate", "Repeat contacts", "rate", False, "conversations"),
    ("reopen_rate", "Reopen rate", "rate", False, "conversations"),
    ("handoff_success_rate", "Handoffs resolved without reopen", "rate", True, "conversations"),
    ("handling_average", "Average handling time", "duration", False, "conversations"),
    ("first_response_sla_compliance", "First response SLA met", "rate", True, "conversations"),
    ("resolution_sla_compliance", "Resolution SLA met", "rate", True, "conversations"),
    ("csat_average", "CSAT (average of 5)", "score", True, "csat"),
    ("csat_response_rate", "CSAT response rate", "rate", True, "csat"),
)
BUSINESS_VARIANTS = {
    "frt_median": "frt_business_median",
    "nrt_median": "nrt_business_median",
    "resolution_median": "resolution_business_median",
    "resolution_p90": "resolution_business_p90",
    "handling_average": "handling_business_average",
}


def _headline_sources(filters: ReportFilters) -> dict[str, dict[str, Any]]:
    csat = csat_metrics(filters=filters)[0]
    return {
        "conversations": conversation_breakdown(filters=filters)["total"],
        "nrt": next_response_metrics(filters=filters),
        "csat": {"csat_average": csat["average"], "csat_response_rate": csat["response_rate"]},
    }


def _headline_value(
    sources: dict[str, dict[str, Any]], source: str, key: str, business: bool
) -> float | None:
    if business and key in BUSINESS_VARIANTS:
        key = BUSINESS_VARIANTS[key]
    return sources[source].get(key)


def dashboard(*, filters: ReportFilters) -> dict[str, Any]:
    """Everything /reports/ shows for `filters`: headline numbers against the previous
    period, the charts' series, and per-agent and per-team tables."""
    business = filters.business
    breakdown = conversation_breakdown(filters=filters, groupings=["agent", "team", "channel"])
    nrt = next_response_metrics(filters=filters)
    csat = csat_breakdown(filters=filters)
    csat_rows = [csat["total"]]
    current = {
        "conversations": breakdown["total"],
        "nrt": nrt,
        "csat": {
            "csat_average": csat_rows[0]["average"],
            "csat_response_rate": csat_rows[0]["response_rate"],
        },
    }
    previous = _headline_sources(filters.previous())
    headlines = [
        Headline(
            key=key,
            label=label,
            kind=kind,
            current=_headline_value(current, source, key, business),
            previous=_headline_value(previous, source, key, business),
            higher_is_better=higher,
        )
        for key, label, kind, higher, source in HEADLINES
    ]
    return {
        "filters": filters,
        "business_time": business,
        "headlines": headlines,
        "conversations": breakdown["total"],
        "by_agent": breakdown["agent"],
        "by_team": breakdown["team"],
        "by_channel": breakdown["channel"],
        "next_response": nrt,
        "csat": csat_rows[0],
        "csat_by_agent": csat["agent"],
        "csat_by_team": csat["team"],
        "csat_trend": csat_trend(filters=filters),
        "conversation_volume": conversation_volume(filters=filters),
        "message_volume": message_volume(filters=filters),
        "heatmap": message_heatmap(filters=filters),
        "handoffs": handoff_matrix(filters=filters),
    }


# --- Access and labels ----------------------------------------------------------------------


def access_reports(*, user: Any) -> None:
    """Reports are for supervisors and admins; PermissionDeniedError otherwise."""
    from agents.roles import sees_everything
    from omnidesk.errors import PermissionDeniedError

    if not sees_everything(user):
        raise PermissionDeniedError("Reports are for supervisors.")


def filter_choices() -> dict[str, list[tuple[int, str]]]:
    """Teams, agents and endpoints the filters offer."""
    from django.contrib.auth import get_user_model

    from agents.models import Team

    users = get_user_model().objects.filter(agent_profile__isnull=False, is_active=True)
    return {
        "teams": list(Team.objects.order_by("name").values_list("id", "name")),
        "agents": [
            (user.pk, user.get_full_name() or user.get_username())
            for user in users.order_by("username")
        ],
        "endpoints": [
            (endpoint.pk, str(endpoint)) for endpoint in ChannelEndpoint.objects.order_by("name")
        ],
    }


def agent_names(ids: Sequence[int | None]) -> dict[int | None, str]:
    from django.contrib.auth import get_user_model

    names: dict[int | None, str] = {None: "Unassigned"}
    for user in get_user_model().objects.filter(pk__in=[i for i in ids if i is not None]):
        names[user.pk] = user.get_full_name() or user.get_username()
    return names


def team_names(ids: Sequence[int | None]) -> dict[int | None, str]:
    from agents.models import Team

    names: dict[int | None, str] = {None: "No team"}
    names.update(
        Team.objects.filter(pk__in=[i for i in ids if i is not None]).values_list("id", "name")
    )
    return names


def has_business_hours() -> bool:
    from agents.models import Team

    return Team.objects.filter(business_hours__isnull=False).exists()


def group_names(data: dict[str, Any]) -> tuple[dict, dict]:
    """Display names of the agents and teams a dashboard's tables mention."""
    agent_ids = [row["group_id"] for row in data["by_agent"]]
    agent_ids += [row["group_id"] for row in data["csat_by_agent"]]
    team_ids = [row["group_id"] for row in data["by_team"]]
    team_ids += [row["group_id"] for row in data["csat_by_team"]]
    return agent_names(agent_ids), team_names(team_ids)


def report_table(name: str, data: dict[str, Any]) -> tables.Table:
    """The table `name` (tables.TABLE_NAMES) of a dashboard: what its CSV and API give."""
    if name in tables.PLAIN_TABLES:
        return tables.PLAIN_TABLES[name](data)
    agents, teams = group_names(data)
    if name == "agents":
        return tables.agents(data, lambda pk: agents.get(pk, str(pk)))
    return tables.teams(data, lambda pk: teams.get(pk, str(pk)))
