"""Reports benchmark: the whole /reports/ dashboard against bare aggregate SQL.

    .venv/bin/python bench/reports.py              # 100,000 conversations, ~1,000,000 messages
    .venv/bin/python bench/reports.py --conversations 10000 --messages 100000   # quick run
    .venv/bin/python bench/reports.py --reuse      # keep the data of the previous run

Builds a year of data in its own PostgreSQL database (`omnidesk_bench_reports`, or
DATABASE_URL): customers, conversations on eight channels and three teams, ~10 messages
each (customer and agent turns), status events with reopens and pending periods,
channel switches, CSAT surveys and answers. It then times `reporting.selectors.dashboard`
(every query the dashboard page runs, including the previous period for the headline
changes, and the incremental refresh of the pre-aggregated data the page does first)
for the last 30 and 365 days, in calendar and business time, against the bare aggregate
SQL over the same rows in the same run (a count and averages over the period's
conversations, a count of its messages by channel and of its surveys), and prints
milliseconds and the ratio. It also prints the one-off cost of building the
pre-aggregated data and, for comparison, the conversation metrics computed live from the
base tables. Timings are the best of --repeat runs on a warm cache.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omnidesk_bench_reports")
os.environ["DJANGO_SETTINGS_MODULE"] = "omnidesk.settings"
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("LOG_LEVEL", "WARNING")

KINDS = ["email", "webchat", "api", "sms", "whatsapp", "messenger", "telegram", "instagram"]
TEAM_OF_KIND = {
    "email": "Support",
    "webchat": "Support",
    "api": "Support",
    "sms": "Messaging",
    "whatsapp": "Messaging",
    "messenger": "Social",
    "telegram": "Social",
    "instagram": "Social",
}
AGENTS_PER_TEAM = 10


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def build(conversations: int, messages: int, days: int) -> None:
    """Generate the data set with set-based SQL (the ORM would take an hour)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from agents.models import AgentProfile, BusinessHours, BusinessHoursInterval, Team
    from channels_app.models import ChannelEndpoint

    teams = {name: Team.objects.create(name=name) for name in sorted(set(TEAM_OF_KIND.values()))}
    hours = BusinessHours.objects.create(name="Weekdays", timezone="Europe/Berlin")
    from datetime import time as clock

    for weekday in range(5):
        BusinessHoursInterval.objects.create(
            business_hours=hours, weekday=weekday, opens=clock(9), closes=clock(17)
        )
    teams["Support"].business_hours = hours
    teams["Support"].save()
    User = get_user_model()
    agents: list[tuple[int, int, int]] = []
    for name, team in teams.items():
        for i in range(AGENTS_PER_TEAM):
            user = User.objects.create(username=f"{name.lower()}{i}")
            AgentProfile.objects.create(user=user)
            team.members.add(user)
            agents.append((team.pk, i, user.pk))
    endpoints = []
    for index, kind in enumerate(KINDS):
        endpoint = ChannelEndpoint.objects.create(kind=kind, name=f"bench {kind}")
        teams[TEAM_OF_KIND[kind]].endpoints.add(endpoint)
        endpoints.append((index, endpoint.pk, kind, teams[TEAM_OF_KIND[kind]].pk))

    per_conversation = max(2, round(messages / conversations))
    customers = max(1, int(conversations * 0.6))
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_endpoint (idx int, id bigint, kind text, team_id bigint)"
        )
        cursor.executemany("INSERT INTO bench_endpoint VALUES (%s, %s, %s, %s)", endpoints)
        cursor.execute("CREATE TEMP TABLE bench_agent (team_id bigint, idx int, user_id bigint)")
        cursor.executemany("INSERT INTO bench_agent VALUES (%s, %s, %s)", agents)
        cursor.execute(
            "INSERT INTO customers_customer"
            " (name, language, attributes, tags, created_at, updated_at)"
            " SELECT 'Customer ' || g, '', '{}', '[]', now(), now()"
            " FROM generate_series(1, %s) g",
            [customers],
        )
        cursor.execute("SELECT min(id) FROM customers_customer")
        customer_base = cursor.fetchone()[0]
        # One row per conversation with its plan: start, turn gap, number of messages,
        # whether it is resolved / reopened / switches channel.
        cursor.execute(
            """
            CREATE TEMP TABLE bench_plan AS
            SELECT g AS n,
                   %(customer_base)s + (g * 7919) %% %(customers)s AS customer_id,
                   (g * 31) %% 8 AS endpoint_idx,
                   now() - random() * make_interval(days => %(days)s) AS created_at,
                   make_interval(secs => 60 + (-ln(1 - random()) * 1800)) AS gap,
                   greatest(2, %(per)s - 4 + (g %% 9)) AS turns,
                   CASE WHEN g %% 20 < 17 THEN 'resolved' WHEN g %% 20 < 19 THEN 'open'
                        ELSE 'pending' END AS status,
                   g %% 17 = 0 AS reopened,
                   g %% 12 = 0 AS switches,
                   g %% AGENTS AS agent_idx
            FROM generate_series(1, %(conversations)s) g
            """.replace("AGENTS", str(AGENTS_PER_TEAM)),
            {
                "customer_base": customer_base,
                "customers": customers,
                "days": days,
                "per": per_conversation,
                "conversations": conversations,
            },
        )
        cursor.execute(
            """
            INSERT INTO conversations_conversation (
                customer_id, endpoint_id, team_id, assignee_id, subject, status, priority,
                last_channel, last_message_at, last_message_preview, waiting_since,
                first_response_at, resolved_at, snoozed_until, first_response_due_at,
                next_response_due_at, resolution_due_at, created_at, updated_at)
            SELECT p.customer_id, e.id, e.team_id, a.user_id, 'Bench ' || p.n, p.status, 1,
                   e.kind, p.created_at + p.gap * (p.turns - 1), '',
                   CASE WHEN p.status = 'open' THEN p.created_at + p.gap * (p.turns - 1) END,
                   p.created_at + p.gap,
                   CASE WHEN p.status = 'resolved' THEN p.created_at + p.gap * p.turns END,
                   NULL, p.created_at + interval '1 hour', NULL,
                   p.created_at + interval '8 hours', p.created_at, now()
            FROM bench_plan p
            JOIN bench_endpoint e ON e.idx = p.endpoint_idx
            JOIN bench_agent a ON a.team_id = e.team_id AND a.idx = p.agent_idx
            ORDER BY p.n
            """,
            {},
        )
        cursor.execute(
            "CREATE TEMP TABLE bench_conv AS SELECT c.id, p.* FROM bench_plan p"
            " JOIN conversations_conversation c ON c.subject = 'Bench ' || p.n"
        )
        cursor.execute(
            """
            INSERT INTO conversations_message (
                conversation_id, direction, kind, endpoint_id, channel, author_id, sender_name,
                subject, text, html, provider_message_id, delivery_status, delivery_error,
                delivery_attempts, email_message_id, email_in_reply_to, email_references,
                metadata, created_at)
            SELECT c.id, CASE WHEN j %% 2 = 0 THEN 'in' ELSE 'out' END,
                   CASE WHEN j %% 2 = 0 THEN 'customer' ELSE 'agent' END,
                   e.id, e.kind, CASE WHEN j %% 2 = 1 THEN a.user_id END, '', '',
                   'Benchmark message ' || j, '', '',
                   CASE WHEN j %% 2 = 0 THEN 'received' ELSE 'sent' END, '', 0, '', '', '',
                   '{}', c.created_at + c.gap * j
            FROM bench_conv c
            CROSS JOIN LATERAL generate_series(0, c.turns - 1) j
            JOIN bench_endpoint e
              ON e.idx = CASE WHEN c.switches AND j >= 4 THEN (c.endpoint_idx + 3) %% 8
                              ELSE c.endpoint_idx END
            JOIN bench_endpoint home ON home.idx = c.endpoint_idx
            JOIN bench_agent a ON a.team_id = home.team_id AND a.idx = c.agent_idx
            """,
            {},
        )
        cursor.execute(
            """
            INSERT INTO conversations_conversationevent (conversation_id, kind, data, created_at)
            SELECT id, 'created', '{}', created_at FROM bench_conv
            UNION ALL
            SELECT c.id, 'channel_switched',
                   jsonb_build_object('from', e1.kind, 'to', e2.kind), c.created_at + c.gap * 4
            FROM bench_conv c
            JOIN bench_endpoint e1 ON e1.idx = c.endpoint_idx
            JOIN bench_endpoint e2 ON e2.idx = (c.endpoint_idx + 3) %% 8
            WHERE c.switches AND c.turns > 4
            UNION ALL
            SELECT id, 'status_changed', '{"from": "open", "to": "resolved"}',
                   created_at + gap * (turns / 2) FROM bench_conv WHERE reopened
            UNION ALL
            SELECT id, 'reopened', '{}', created_at + gap * (turns / 2) + gap / 2
            FROM bench_conv WHERE reopened
            UNION ALL
            SELECT id, 'status_changed', '{"from": "open", "to": "pending"}',
                   created_at + gap * 1.5 FROM bench_conv WHERE n %% 5 = 0
            UNION ALL
            SELECT id, 'status_changed', '{"from": "pending", "to": "open"}',
                   created_at + gap * 2 FROM bench_conv WHERE n %% 5 = 0
            UNION ALL
            SELECT id, 'status_changed', '{"from": "open", "to": "resolved"}',
                   created_at + gap * turns FROM bench_conv WHERE status = 'resolved'
            """,
            {},
        )
        cursor.execute(
            """
            INSERT INTO reporting_csatsurvey (
                conversation_id, resolution_number, resolved_at, channel, endpoint_id, method,
                token, team_id, agent_id, message_id, sent_at)
            SELECT c.id, 1, c.created_at + c.gap * c.turns, e.kind, e.id, 'link',
                   md5(c.id::text || random()::text), e.team_id, a.user_id, NULL,
                   c.created_at + c.gap * c.turns
            FROM bench_conv c
            JOIN bench_endpoint e ON e.idx = c.endpoint_idx
            JOIN bench_agent a ON a.team_id = e.team_id AND a.idx = c.agent_idx
            WHERE c.status = 'resolved' AND c.n %% 10 < 7
            """,
            {},
        )
        cursor.execute(
            """
            INSERT INTO reporting_csatresponse (
                survey_id, conversation_id, customer_id, score, comment, channel, created_at)
            SELECT s.id, s.conversation_id, c.customer_id, 1 + (s.id * 13) %% 5, '', s.channel,
                   s.sent_at + interval '2 hours'
            FROM reporting_csatsurvey s JOIN conversations_conversation c
              ON c.id = s.conversation_id
            WHERE s.id %% 3 = 0
            """,
            {},
        )
        cursor.execute("ANALYZE")


def best_of(repeat: int, function) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return min(timings)


def bare_aggregates(filters) -> None:
    """The baseline: plain aggregates over the same period's rows, no metric logic."""
    from django.db import connection

    params = {"start": filters.start_at, "end": filters.end_at}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), avg(extract(epoch FROM first_response_at - created_at)),"
            " avg(extract(epoch FROM resolved_at - created_at))"
            " FROM conversations_conversation"
            " WHERE created_at >= %(start)s AND created_at < %(end)s",
            params,
        )
        cursor.fetchall()
        cursor.execute(
            "SELECT channel, count(*) FROM conversations_message"
            " WHERE created_at >= %(start)s AND created_at < %(end)s GROUP BY channel",
            params,
        )
        cursor.fetchall()
        cursor.execute(
            "SELECT count(*), avg(r.score) FROM reporting_csatsurvey s"
            " LEFT JOIN reporting_csatresponse r ON r.survey_id = s.id"
            " WHERE s.sent_at >= %(start)s AND s.sent_at < %(end)s",
            params,
        )
        cursor.fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="keep the previous run's data")
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from conversations.models import Conversation, Message
    from reporting.selectors.cohort import conversation_breakdown
    from reporting.selectors.dashboard import dashboard
    from reporting.selectors.filters import ReportFilters
    from reporting.services import refresh_report_data

    call_command("migrate", verbosity=0)
    if not (args.reuse and Conversation.objects.exists()):
        call_command("flush", interactive=False, verbosity=0)
        started = time.perf_counter()
        build(args.conversations, args.messages, args.days)
        print(f"built the data set in {time.perf_counter() - started:.0f} s")
    print(
        f"data: {Conversation.objects.count():,} conversations, "
        f"{Message.objects.count():,} messages over {args.days} days"
    )
    started = time.perf_counter()
    refresh_report_data(full=True)
    print(f"pre-aggregation, full rebuild (one-off): {time.perf_counter() - started:.1f} s")
    idle = best_of(args.repeat, refresh_report_data)
    print(f"incremental refresh with nothing new:    {idle * 1000:.0f} ms")

    today = timezone.localdate()

    def page(filters: ReportFilters) -> None:
        # What the /reports/ view runs: catch up, then every panel's query.
        refresh_report_data()
        dashboard(filters=filters)

    for days in (30, 365):
        for business in (False, True):
            filters = ReportFilters(
                start=today - timedelta(days=days - 1), end=today, business=business
            )
            label = "business hours" if business else "calendar time"
            page_seconds = best_of(args.repeat, lambda f=filters: page(f))
            bare_seconds = best_of(args.repeat, lambda f=filters: bare_aggregates(f))
            print(
                f"{days:>3} days, {label:<14}: dashboard {page_seconds * 1000:6.0f} ms"
                f" | bare aggregate SQL {bare_seconds * 1000:5.0f} ms"
                f" | ratio {page_seconds / bare_seconds:5.1f}x"
            )
    # What the pre-aggregation saves, on the smaller range (live over a year takes minutes).
    filters = ReportFilters(start=today - timedelta(days=29), end=today)
    stored = best_of(args.repeat, lambda: conversation_breakdown(filters=filters))
    live = best_of(1, lambda: conversation_breakdown(filters=filters, live=True))
    print(
        f" 30 days, conversation metrics alone: from the stored facts {stored * 1000:.0f} ms,"
        f" computed live from conversations/events/messages {live * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
