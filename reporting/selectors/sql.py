# ruff: noqa: S608 -- the SQL below is assembled only from constants and table names;
# every value is a bound parameter.
"""What the metric queries share: the tables they read, the SQL fragments for business
time and per-team schedules, the percentile columns, and one way to run them.

The metric queries are PostgreSQL SQL (window functions, `percentile_cont`, JSON
operators): one query per panel, aggregated in the database, so a year of data never
travels to Python. `reporting/migrations/0002` adds `reporting_business_seconds` for the
business-time variants.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction

from channels_app.models import ChannelEndpoint
from conversations.models import Conversation, ConversationEvent, Message
from customers.models import Customer
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
CUSTOMERS = Customer._meta.db_table


def attribute_condition(conversation_column: str) -> str:
    """` AND ...`: the conversation's customer has the attributes of %(attribute)s and
    the conversation those of %(conversation_attribute)s (JSON objects, typed by the
    definitions; NULL: no filter of that kind)."""
    return (
        " AND (%(attribute)s::jsonb IS NULL OR EXISTS ("
        f"SELECT 1 FROM {CONVERSATIONS} attr_c JOIN {CUSTOMERS} attr_cu"
        f" ON attr_cu.id = attr_c.customer_id WHERE attr_c.id = {conversation_column}"
        " AND attr_cu.attributes @> %(attribute)s::jsonb))"
        " AND (%(conversation_attribute)s::jsonb IS NULL OR EXISTS ("
        f"SELECT 1 FROM {CONVERSATIONS} attr_cc WHERE attr_cc.id = {conversation_column}"
        " AND attr_cc.attributes @> %(conversation_attribute)s::jsonb))"
    )


def business_seconds(start_sql: str, end_sql: str, alias: str) -> str:
    """Business seconds with the schedule columns (bh_*) carried by row `alias`."""
    return (
        f"reporting_business_seconds({start_sql}, {end_sql}, {alias}.bh_tz, "
        f"{alias}.bh_weekdays, {alias}.bh_opens, {alias}.bh_closes, {alias}.bh_holidays)"
    )


def schedule_join(team_column: str) -> tuple[str, str]:
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


def fetch_rows(sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    with transaction.atomic(), connection.cursor() as cursor:
        # The planner overestimates these joins and would spend more time compiling them
        # with JIT (seconds) than running them (milliseconds); their sorts fit in memory.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def stats(column: str, prefix: str, *, enabled: bool = True) -> str:
    """Median, p90, average and count of `column` as `<prefix>_*` columns; NULLs (and a
    zero count) when not `enabled`."""
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


def ratio(numerator: int | None, denominator: int | None) -> float | None:
    """A rate from two counts of a query's row; None without a base."""
    return numerator / denominator if denominator else None
