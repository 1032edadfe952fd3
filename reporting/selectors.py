# ruff: noqa: S608 -- the SQL below is assembled only from constants and table names;
# every value is a bound parameter.
"""Reads of the reporting app: the metric queries defined in docs/metrics.md.

The metric queries are PostgreSQL SQL (window functions, `percentile_cont`, JSON
operators): one query per panel, aggregated in the database, so a year of data never
travels to Python. `reporting/migrations/0002` adds `reporting_business_seconds` for the
business-time variants.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection

from channels_app.models import ChannelEndpoint
from conversations.models import Conversation, ConversationEvent, Message
from reporting.models import CsatResponse, CsatSurvey
from routing.business_hours import Schedule

CONVERSATIONS = Conversation._meta.db_table
MESSAGES = Message._meta.db_table
EVENTS = ConversationEvent._meta.db_table
ENDPOINTS = ChannelEndpoint._meta.db_table
SURVEYS = CsatSurvey._meta.db_table
RESPONSES = CsatResponse._meta.db_table

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
GROUPINGS = {"agent": "assignee_id", "team": "team_id"}


# --- CSAT survey page ---------------------------------------------------------------------


def survey_for_token(*, token: str) -> CsatSurvey | None:
    return CsatSurvey.objects.select_related("conversation").filter(token=token).first()


def survey_answer(*, survey: CsatSurvey) -> CsatResponse | None:
    return CsatResponse.objects.filter(survey=survey).first()


# --- Filters --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFilters:
    """A report's period (local days `start`..`end`, both included) and optional filters."""

    start: date
    end: date
    tz: str = field(default_factory=lambda: settings.TIME_ZONE)
    team_id: int | None = None
    agent_id: int | None = None
    channel: str = ""
    endpoint_id: int | None = None
    repeat_days: int = 7
    schedule: Schedule | None = None

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
        params: dict[str, Any] = {
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
        if self.schedule is not None:
            params |= schedule_params(self.schedule)
        return params


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


def _business(start_sql: str, end_sql: str) -> str:
    return (
        f"reporting_business_seconds({start_sql}, {end_sql}, %(bh_tz)s, %(bh_weekdays)s, "
        "%(bh_opens)s, %(bh_closes)s, %(bh_holidays)s::date[])"
    )


def report_schedule(*, team_id: int | None = None) -> Schedule | None:
    """The business-hours schedule for business-time metrics, or None (calendar only).

    routing keeps per-team schedules; a report spanning teams uses the desk's default
    (the schedule with no team), a report filtered to one team uses that team's.
    """
    try:
        from routing import selectors as routing_selectors
    except ImportError:
        return None
    finder = getattr(routing_selectors, "schedule_for_team", None)
    if finder is None:
        return None
    return finder(team_id=team_id)


def _conversation_conditions(alias: str = "c") -> str:
    """SQL conditions for the optional conversation filters (None/"" disables each)."""
    return (
        f"(%(team)s::bigint IS NULL OR {alias}.team_id = %(team)s)"
        f" AND (%(agent)s::bigint IS NULL OR {alias}.assignee_id = %(agent)s)"
        f" AND (%(channel)s = '' OR e.kind = %(channel)s)"
        f" AND (%(endpoint)s::bigint IS NULL OR {alias}.endpoint_id = %(endpoint)s)"
    )


def _cohort_cte() -> str:
    return f"""
    cohort AS (
        SELECT c.id, c.customer_id, c.created_at, c.status, c.resolved_at,
               c.first_response_at, c.first_response_due_at, c.resolution_due_at,
               c.team_id, c.assignee_id, c.endpoint_id, e.kind AS start_channel
        FROM {CONVERSATIONS} c JOIN {ENDPOINTS} e ON e.id = c.endpoint_id
        WHERE c.created_at >= %(start)s AND c.created_at < %(end)s
          AND {_conversation_conditions()}
    )"""


def _rows(sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


# --- Conversation metrics -------------------------------------------------------------------


def _facts_sql(filters: ReportFilters) -> str:
    """One row per cohort conversation with everything the conversation metrics need."""
    business = filters.schedule is not None
    open_business = (
        f"sum({_business('at', 'next_at')}) FILTER (WHERE state = 'open' AND next_at IS NOT NULL)"
        if business
        else "NULL::double precision"
    )
    frt_business = (
        _business("co.created_at", "co.first_response_at") if business else "NULL::double precision"
    )
    resolution_business = (
        f"CASE WHEN co.status = 'resolved' THEN {_business('co.created_at', 'co.resolved_at')} END"
        if business
        else "NULL::double precision"
    )
    return f"""
    WITH {_cohort_cte()},
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
        SELECT conversation_id,
               bool_or(state = 'resolved') AS ever_resolved,
               bool_or(previous_state = 'resolved' AND state <> 'resolved') AS reopened,
               sum(extract(epoch FROM next_at - at))
                   FILTER (WHERE state = 'open' AND next_at IS NOT NULL) AS open_seconds,
               {open_business} AS open_business_seconds
        FROM timeline GROUP BY conversation_id
    ),
    switched AS (
        SELECT DISTINCT ev.conversation_id
        FROM {EVENTS} ev JOIN cohort co ON co.id = ev.conversation_id
        WHERE ev.kind = 'channel_switched'
    ),
    facts AS (
        SELECT co.*,
               co.status = 'resolved' AS resolved,
               coalesce(sf.ever_resolved, false) AS ever_resolved,
               coalesce(sf.reopened, false) AS reopened,
               sw.conversation_id IS NOT NULL AS switched,
               co.status = 'resolved' AND EXISTS (
                   SELECT 1 FROM {CONVERSATIONS} later
                   WHERE later.customer_id = co.customer_id AND later.id <> co.id
                     AND later.created_at > co.resolved_at
                     AND later.created_at <= co.resolved_at
                         + make_interval(days => %(repeat_days)s)
               ) AS repeat_contact,
               extract(epoch FROM co.first_response_at - co.created_at) AS frt,
               {frt_business} AS frt_business,
               CASE WHEN co.status = 'resolved'
                    THEN extract(epoch FROM co.resolved_at - co.created_at) END AS resolution,
               {resolution_business} AS resolution_business,
               CASE WHEN co.status = 'resolved' THEN sf.open_seconds END AS handling,
               CASE WHEN co.status = 'resolved' THEN sf.open_business_seconds END
                   AS handling_business,
               CASE
                   WHEN co.first_response_due_at IS NULL THEN NULL
                   WHEN co.first_response_at IS NOT NULL
                       THEN co.first_response_at <= co.first_response_due_at
                   WHEN co.first_response_due_at < now() THEN false
               END AS first_response_sla_met,
               CASE
                   WHEN co.resolution_due_at IS NULL THEN NULL
                   WHEN co.status = 'resolved' THEN co.resolved_at <= co.resolution_due_at
                   WHEN co.resolution_due_at < now() THEN false
               END AS resolution_sla_met
        FROM cohort co
        LEFT JOIN status_facts sf ON sf.conversation_id = co.id
        LEFT JOIN switched sw ON sw.conversation_id = co.id
    )"""


def _stats(column: str, prefix: str) -> str:
    return (
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {column}) AS {prefix}_median, "
        f"percentile_cont(0.9) WITHIN GROUP (ORDER BY {column}) AS {prefix}_p90, "
        f"avg({column})::double precision AS {prefix}_average, "
        f"count({column}) AS {prefix}_count"
    )


def conversation_metrics(
    *, filters: ReportFilters, group_by: str | None = None
) -> list[dict[str, Any]]:
    """The conversation metrics of docs/metrics.md for the cohort, one row per group
    (`group_by` None: a single row; "agent" / "team": per current assignee / team)."""
    group_column = GROUPINGS[group_by] if group_by else None
    select_group = f"{group_column} AS group_id, " if group_column else ""
    group_clause = (
        f"GROUP BY {group_column} ORDER BY {group_column} NULLS LAST" if group_column else ""
    )
    sql = f"""
    {_facts_sql(filters)}
    SELECT {select_group}
        count(*) AS conversations,
        count(*) FILTER (WHERE resolved) AS resolved,
        count(*) FILTER (WHERE ever_resolved) AS ever_resolved,
        count(*) FILTER (WHERE reopened) AS reopened,
        count(*) FILTER (WHERE resolved AND NOT reopened AND NOT switched AND NOT repeat_contact)
            AS first_contact_resolved,
        count(*) FILTER (WHERE repeat_contact) AS repeat_contacts,
        count(*) FILTER (WHERE switched) AS handoff_conversations,
        count(*) FILTER (WHERE switched AND resolved AND NOT reopened) AS handoffs_resolved,
        count(*) FILTER (WHERE frt IS NULL) AS unanswered,
        {_stats("frt", "frt")},
        {_stats("frt_business", "frt_business")},
        {_stats("resolution", "resolution")},
        {_stats("resolution_business", "resolution_business")},
        avg(handling)::double precision AS handling_average,
        avg(handling_business)::double precision AS handling_business_average,
        count(*) FILTER (WHERE first_response_sla_met) AS first_response_sla_met,
        count(*) FILTER (WHERE NOT first_response_sla_met) AS first_response_sla_breached,
        count(*) FILTER (WHERE resolution_sla_met) AS resolution_sla_met,
        count(*) FILTER (WHERE NOT resolution_sla_met) AS resolution_sla_breached
    FROM facts {group_clause}
    """
    rows = _rows(sql, filters.params())
    return [_with_rates(row) for row in rows]


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


def duration_distribution(*, filters: ReportFilters, metric: str) -> list[dict[str, Any]]:
    """Counts of first response ("frt") or resolution ("resolution") times per bucket."""
    if metric not in ("frt", "resolution"):
        raise ValueError(metric)
    column = f"{metric}_business" if filters.schedule is not None else metric
    sql = f"""
    {_facts_sql(filters)}
    SELECT width_bucket({column}, %(buckets)s::double precision[]) AS bucket, count(*) AS count
    FROM facts WHERE {column} IS NOT NULL GROUP BY 1
    """
    counts = {row["bucket"]: row["count"] for row in _rows(sql, filters.params())}
    return [
        {"bucket": label, "count": counts.get(index, 0)}
        for index, label in enumerate(DURATION_BUCKET_LABELS)
    ]


def repeat_contacts_by_channel(*, filters: ReportFilters) -> list[dict[str, Any]]:
    """Resolved cohort conversations and their repeats, by the channel they started on."""
    sql = f"""
    {_facts_sql(filters)}
    SELECT start_channel AS channel, count(*) AS resolved,
           count(*) FILTER (WHERE repeat_contact) AS repeat_contacts
    FROM facts WHERE resolved GROUP BY 1 ORDER BY 1
    """
    rows = _rows(sql, filters.params())
    for row in rows:
        row["repeat_contact_rate"] = _ratio(row["repeat_contacts"], row["resolved"])
    return rows


def handoff_matrix(*, filters: ReportFilters) -> list[dict[str, Any]]:
    """Channel switches of cohort conversations by (from, to) channel."""
    sql = f"""
    WITH {_cohort_cte()}
    SELECT ev.data->>'from' AS from_channel, ev.data->>'to' AS to_channel, count(*) AS count
    FROM {EVENTS} ev JOIN cohort co ON co.id = ev.conversation_id
    WHERE ev.kind = 'channel_switched'
    GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2
    """
    return _rows(sql, filters.params())


# --- Volume ---------------------------------------------------------------------------------


def conversation_volume(*, filters: ReportFilters) -> list[dict[str, Any]]:
    """New conversations by local day and the channel and endpoint they started on."""
    sql = f"""
    WITH {_cohort_cte()}
    SELECT (co.created_at AT TIME ZONE %(tz)s)::date AS day, co.start_channel AS channel,
           co.endpoint_id, count(*) AS count
    FROM cohort co GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    """
    return _rows(sql, filters.params())


def _customer_messages_cte() -> str:
    return f"""
    customer_messages AS (
        SELECT m.created_at, m.channel, m.endpoint_id
        FROM {MESSAGES} m
        JOIN {CONVERSATIONS} c ON c.id = m.conversation_id
        JOIN {ENDPOINTS} e ON e.id = c.endpoint_id
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
    WITH {_customer_messages_cte()}
    SELECT (created_at AT TIME ZONE %(tz)s)::date AS day, channel, endpoint_id,
           count(*) AS count
    FROM customer_messages GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    """
    return _rows(sql, filters.params())


def message_heatmap(*, filters: ReportFilters) -> list[list[int]]:
    """Customer messages by local weekday (0 = Monday) x hour of day: 7 rows of 24."""
    sql = f"""
    WITH {_customer_messages_cte()}
    SELECT extract(isodow FROM created_at AT TIME ZONE %(tz)s)::int - 1 AS weekday,
           extract(hour FROM created_at AT TIME ZONE %(tz)s)::int AS hour, count(*) AS count
    FROM customer_messages GROUP BY 1, 2
    """
    grid = [[0] * 24 for _ in range(7)]
    for row in _rows(sql, filters.params()):
        grid[row["weekday"]][row["hour"]] = row["count"]
    return grid


# --- Next response time ---------------------------------------------------------------------


def next_response_metrics(*, filters: ReportFilters) -> dict[str, Any]:
    """Waits that start with a customer message after an agent reply (docs/metrics.md)."""
    business = filters.schedule is not None
    business_column = (
        _business("created_at", "next_reply_at") if business else "NULL::double precision"
    )
    sql = f"""
    WITH active AS (
        SELECT c.id FROM {CONVERSATIONS} c JOIN {ENDPOINTS} e ON e.id = c.endpoint_id
        WHERE c.last_message_at >= %(start)s AND c.created_at < %(end)s
          AND (%(team)s::bigint IS NULL OR c.team_id = %(team)s)
          AND (%(agent)s::bigint IS NULL OR c.assignee_id = %(agent)s)
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
    ),
    waits AS (
        SELECT extract(epoch FROM next_reply_at - created_at) AS nrt,
               {business_column} AS nrt_business
        FROM exchanges
        WHERE NOT is_reply AND after_reply
          AND created_at >= %(start)s AND created_at < %(end)s
          AND (%(channel)s = '' OR channel = %(channel)s)
          AND (%(endpoint)s::bigint IS NULL OR endpoint_id = %(endpoint)s)
    )
    SELECT count(*) AS waits, count(*) FILTER (WHERE nrt IS NULL) AS open_waits,
           {_stats("nrt", "nrt")}, {_stats("nrt_business", "nrt_business")}
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


def csat_metrics(*, filters: ReportFilters, group_by: str | None = None) -> list[dict[str, Any]]:
    """Surveys sent in the period and their answers; per survey agent/team if grouped."""
    group_column = {"agent": "s.agent_id", "team": "s.team_id"}.get(group_by or "")
    select_group = f"{group_column} AS group_id, " if group_column else ""
    group_clause = (
        f"GROUP BY {group_column} ORDER BY {group_column} NULLS LAST" if group_column else ""
    )
    sql = f"""
    SELECT {select_group}
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
    {group_clause}
    """
    rows = _rows(sql, filters.params())
    for row in rows:
        row["response_rate"] = _ratio(row["responses"], row["surveys"])
        row["csat_percent"] = _ratio(row["satisfied"], row["responses"])
        row["distribution"] = {score: row.pop(f"score_{score}") for score in range(1, 6)}
    return rows


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
    """Open, waiting and SLA-breached conversations per team, as of now."""
    from routing.models import Team

    sql = f"""
    SELECT c.team_id,
           count(*) FILTER (WHERE c.status = 'open') AS open,
           count(*) FILTER (WHERE c.status IN ('open', 'pending')
                            AND c.waiting_since IS NOT NULL) AS waiting,
           count(*) FILTER (WHERE
               (c.first_response_at IS NULL AND c.first_response_due_at < now())
               OR (c.waiting_since IS NOT NULL AND c.next_response_due_at < now())
               OR c.resolution_due_at < now()) AS breached
    FROM {CONVERSATIONS} c
    WHERE c.status <> 'resolved'
    GROUP BY c.team_id
    """
    counts = {row["team_id"]: row for row in _rows(sql, {})}
    teams = Team.objects.order_by("name")
    if team_ids is not None:
        teams = teams.filter(pk__in=team_ids)
    rows = []
    for team in teams:
        row = counts.get(team.pk, {})
        rows.append(
            {
                "team_id": team.pk,
                "team": team.name,
                "open": row.get("open", 0),
                "waiting": row.get("waiting", 0),
                "breached": row.get("breached", 0),
            }
        )
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
