# ruff: noqa: S608 -- the SQL below is assembled only from constants and table names;
# every value is a bound parameter.
"""Per-conversation facts: the live SQL (the definitions of docs/metrics.md) and the
stored rows (reporting_conversationfact) a report's cohort is read from."""

from __future__ import annotations

from typing import Any

from reporting.selectors.business_hours import desk_schedules, schedules_param
from reporting.selectors.filters import ReportFilters
from reporting.selectors.sql import (
    CONVERSATIONS,
    ENDPOINTS,
    EVENTS,
    FACTS,
    attribute_condition,
    business_seconds,
    schedule_join,
)


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
        ) + attribute_condition("c.id")
    else:
        raise ValueError(scope)
    schedule_columns, schedule_joins = schedule_join("c.team_id")
    return f"""
    WITH cohort AS (
        SELECT c.id, c.customer_id, c.created_at, c.status, c.resolved_at,
               c.first_response_at,
               CASE WHEN c.first_response_at IS NOT NULL THEN c.first_response_was_due_at
                    ELSE c.first_response_due_at END AS first_response_due_at,
               CASE WHEN c.status = 'resolved' THEN c.resolution_was_due_at
                    ELSE c.resolution_due_at END AS resolution_due_at,
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
               sum({business_seconds("t.at", "t.next_at", "co")})
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
               {business_seconds("co.created_at", "co.first_response_at", "co")} AS frt_business,
               CASE WHEN co.status = 'resolved'
                    THEN extract(epoch FROM co.resolved_at - co.created_at)::double precision
               END AS resolution,
               CASE WHEN co.status = 'resolved'
                    THEN {business_seconds("co.created_at", "co.resolved_at", "co")}
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


def facts_sql(filters: ReportFilters, *, live: bool = False) -> str:
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
          AND (%(endpoint)s::bigint IS NULL OR f.endpoint_id = %(endpoint)s)
          {attribute_condition("f.conversation_id")}"""
    return "WITH " + _derived_facts(source)


def facts_params(filters: ReportFilters, *, live: bool) -> dict[str, Any]:
    params = filters.params()
    if live:
        params["bh_schedules"] = schedules_param(desk_schedules())
    return params
