"""Routing benchmark: rules + assignment per new conversation, and the escalation scan.

    .venv/bin/python bench/routing.py      # 2,000 routes per run, 100,000 for the scan
    .venv/bin/python bench/routing.py --routes 10000 --scan-conversations 1000000  # full size

1. Routing. N new conversations (default 2,000; the issue's size is 10,000), each in its
   own transaction as the inbound pipeline does: create the conversation and its first
   message (the baseline); the same plus `route()` against R active rules (default 200:
   keyword lists, regexes, channel, attribute, language, priority, business-hours and
   repeat-contact conditions, most missing as narrow rules do, a few common ones that
   tag and set priority) and A online agents (default 50) in 5 teams using round robin,
   least busy and skills; and the same plus `apply_sla()` with three policies. All runs
   on the same PostgreSQL in one process: routes/s, time per route, overhead.
2. Escalation scan. M conversations (default 100,000) with SLA clocks, of which 1% are
   due; times `scan_escalations()` (fires a warning and a breach for each due one: the
   timeline events, the fire records) against the bare indexed query that only reads the
   due ids, and an idle re-scan (nothing left due) against the same bare query.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omnidesk_bench_routing")
os.environ["DJANGO_SETTINGS_MODULE"] = "omnidesk.settings"
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
os.environ.pop("REDIS_URL", None)  # no broker: realtime publishes are no-ops in-process
os.environ.setdefault("LOG_LEVEL", "WARNING")

WORDS = [
    "refund", "invoice", "parcel", "delivery", "broken", "password", "login", "cancel",
    "upgrade", "discount", "warranty", "shipping", "address", "payment", "card", "declined",
    "return", "exchange", "size", "colour", "order", "tracking", "subscription", "renewal",
    "account", "locked", "email", "phone", "verify", "coupon", "gift", "voucher", "late",
]  # fmt: skip
# Words the generated rules look for that customers never write: most rules miss, as in
# a real rule set where each rule targets a narrow topic.
RARE = [f"topic{n}" for n in range(1000)]


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def build_rules(count: int, teams, rng: random.Random) -> None:
    from routing.models import RoutingRule, RuleAction, RuleCondition

    shapes = [
        ("text", "any_keyword"),
        ("text", "regex"),
        ("text", "contains"),
        ("subject", "contains"),
        ("channel", "is"),
        ("customer_attribute", "is"),
        ("language", "is"),
        ("priority", "at_least"),
        ("customer_tag", "has"),
        ("business_hours", "is"),
        ("repeat_contact", "within_days"),
    ]
    for index in range(count):
        rule = RoutingRule.objects.create(
            name=f"rule {index}", position=index, match=rng.choice(["all", "all", "any"])
        )
        for _ in range(rng.randint(1, 3)):
            field, operator = rng.choice(shapes)
            key = ""
            rare = rng.choice(RARE)
            value = {
                "text": ", ".join(rng.sample(RARE, 3)),
                "subject": rare,
                "channel": rng.choice(["sms", "whatsapp", "telegram"]),
                "customer_attribute": "enterprise",
                "language": rng.choice(["fr", "ja"]),
                "priority": "urgent",
                "customer_tag": rare,
                "business_hours": "outside",
                "repeat_contact": "1",
            }[field]
            if operator == "regex":
                value = rf"\b(order|invoice)\s*#?{rare}\d+"
            if field == "customer_attribute":
                key = "plan"
            RuleCondition.objects.create(
                rule=rule, field=field, operator=operator, key=key, value=value
            )
        RuleAction.objects.create(
            rule=rule, kind=RuleAction.Kind.ASSIGN_TEAM, team=teams[index % len(teams)]
        )
    # A handful that do match common traffic, so actions run too.
    for index, word in enumerate(["refund", "password", "parcel"]):
        rule = RoutingRule.objects.create(name=f"common {word}", position=count + index)
        RuleCondition.objects.create(rule=rule, field="text", operator="any_keyword", value=word)
        RuleAction.objects.create(rule=rule, kind=RuleAction.Kind.ADD_TAGS, tags=word)
        RuleAction.objects.create(rule=rule, kind=RuleAction.Kind.SET_PRIORITY, priority=2)
    RoutingRule.objects.filter(position__gte=count).update(position=0)  # run them first


def bench_routing(args: argparse.Namespace) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from agents.models import AgentProfile, Team
    from channels_app.models import ChannelEndpoint
    from conversations.models import Conversation, Message
    from customers.models import Customer
    from routing.models import SlaPolicy
    from routing.services import apply_sla, route

    rng = random.Random(7)
    endpoints = [
        ChannelEndpoint.objects.create(kind=kind, name=f"bench {kind}")
        for kind in ("api", "email", "webchat", "sms", "whatsapp")
    ]
    strategies = ["round_robin", "least_busy", "skills", "least_busy", "round_robin"]
    teams = []
    for index, strategy in enumerate(strategies):
        team = Team.objects.create(name=f"team {index}", assignment_strategy=strategy)
        team.endpoints.add(endpoints[index])
        teams.append(team)
    from django.contrib.auth import get_user_model

    capacity = (args.routes * 3) // args.agents + 10  # room for all three runs
    for index in range(args.agents):
        user = get_user_model().objects.create(username=f"bench-agent-{index}")
        AgentProfile.objects.create(
            user=user,
            presence="online",
            capacity=capacity,
            languages=[rng.choice(["en", "pt", "de"])],
            skills=rng.sample(["refund", "password", "parcel", "billing"], 2),
        )
        teams[index % len(teams)].members.add(user)
    build_rules(args.rules, teams, rng)
    customers = Customer.objects.bulk_create(
        [
            Customer(
                name=f"customer {i}",
                language=rng.choice(["en", "pt", "de", ""]),
                attributes={"plan": rng.choice(["free", "pro", "gold"])},
                tags=[rng.choice(["vip", "new", "churn-risk"])],
            )
            for i in range(args.routes * 3)
        ]
    )
    texts = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 30))) for _ in range(500)]

    def create(i: int) -> Conversation:
        endpoint = endpoints[i % len(endpoints)]
        now = timezone.now()
        conversation = Conversation.objects.create(
            customer=customers[i],
            endpoint=endpoint,
            team=teams[i % len(teams)],
            subject="Question",
            last_channel=endpoint.kind,
            last_message_at=now,
            waiting_since=now,
            created_at=now,
        )
        Message.objects.create(
            conversation=conversation,
            direction="in",
            kind="customer",
            endpoint=endpoint,
            channel=endpoint.kind,
            text=texts[i % len(texts)],
            subject="Question",
            delivery_status="received",
            created_at=now,
        )
        return conversation

    def run(label: str, offset: int, with_route: bool, with_sla: bool) -> float:
        per_route = []
        started = time.perf_counter()
        for i in range(offset, offset + args.routes):
            t0 = time.perf_counter()
            with transaction.atomic():
                conversation = create(i)
                if with_route:
                    route(conversation=conversation, opened=True)
                if with_sla:
                    apply_sla(conversation=conversation)
            per_route.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - started
        print(
            f"  {label:<34} {args.routes / elapsed:8.0f}/s   "
            f"mean {statistics.mean(per_route) * 1000:6.2f} ms   "
            f"p95 {sorted(per_route)[int(len(per_route) * 0.95)] * 1000:6.2f} ms"
        )
        return elapsed

    print(
        f"Routing: {args.routes} new conversations, {args.rules + 3} active rules, "
        f"{args.agents} agents in {len(teams)} teams"
    )
    baseline = run("baseline (create only)", 0, False, False)
    routed = run("create + route()", args.routes, True, False)
    for name, minutes in (("urgent", 15), ("vip", 60), ("default", 240)):
        SlaPolicy.objects.create(
            name=name,
            first_response_minutes=minutes,
            resolution_minutes=minutes * 8,
            priority=3 if name == "urgent" else None,
            customer_tag="vip" if name == "vip" else "",
        )
    with_sla = run("create + route() + apply_sla()", 2 * args.routes, True, True)
    per_route = (routed - baseline) / args.routes * 1000
    per_sla = (with_sla - routed) / args.routes * 1000
    print(
        f"  route() costs {per_route:.2f} ms per conversation "
        f"({routed / baseline:.2f}x the baseline); apply_sla() {per_sla:.2f} ms more"
    )
    assigned = Conversation.objects.filter(assignee__isnull=False).count()
    print(f"  assigned {assigned} of {2 * args.routes} routed conversations")
    connection.close()


def bench_scan(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.utils import timezone

    from channels_app.models import ChannelEndpoint
    from conversations.models import Conversation
    from customers.models import Customer
    from routing import selectors
    from routing.models import EscalationRule, SlaPolicy
    from routing.services import scan_escalations

    total = args.scan_conversations
    due = max(total // 100, 1)
    SlaPolicy.objects.update(is_active=False)  # only the scan's own policy applies
    selectors.ACTIVE_SLA_POLICIES.changed()  # an update() sends no signal
    endpoint = ChannelEndpoint.objects.create(kind="api", name="scan bench")
    customer = Customer.objects.create(name="scan bench")
    policy = SlaPolicy.objects.create(name="scan", first_response_minutes=60, warning_percentage=80)
    EscalationRule.objects.create(policy=policy, trigger="breach", notify_supervisors=False)

    # Bulk rows with SQL: every NOT NULL column gets a neutral value by its type.
    defaults = []
    for field in Conversation._meta.concrete_fields:
        if field.primary_key or field.null:
            continue
        column = field.column
        explicit = {
            "customer_id": str(customer.pk),
            "endpoint_id": str(endpoint.pk),
            "status": "'open'",
            "priority": "1",
            "last_channel": "'api'",
            "created_at": "CASE WHEN g <= %(due)s THEN now() - interval '2 hours' ELSE now() END",
        }
        if column in explicit:
            value = explicit[column]
        else:
            internal = field.get_internal_type()
            value = {
                "DateTimeField": "now()",
                "BooleanField": "false",
                "JSONField": "'{}'::jsonb",
            }.get(internal, "0" if "Integer" in internal or "Float" in internal else "''")
        defaults.append((column, value))
    columns = ", ".join(c for c, _ in defaults)
    values = ", ".join(v for _, v in defaults)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO conversations_conversation ({columns}) "
            f"SELECT {values} FROM generate_series(1, %(total)s) AS g",
            {"total": total, "due": due},
        )
        cursor.execute(
            "INSERT INTO routing_slaclock (conversation_id, policy_id, paused_seconds, "
            "wait_paused_base, last_status, next_check_at) "
            "SELECT c.id, %(policy)s, 0, 0, 'open', c.created_at + interval '48 minutes' "
            "FROM conversations_conversation c WHERE c.endpoint_id = %(endpoint)s",
            {"policy": policy.pk, "endpoint": endpoint.pk},
        )
        cursor.execute(
            "UPDATE conversations_conversation SET first_response_due_at = "
            "created_at + interval '60 minutes' WHERE endpoint_id = %s",
            [endpoint.pk],
        )
        cursor.execute("ANALYZE conversations_conversation")
        cursor.execute("ANALYZE routing_slaclock")
    print(
        f"\nEscalation scan: {total} conversations with SLA clocks, {due} due "
        f"(loaded in {time.perf_counter() - started:.1f}s)"
    )

    bare_sql = (
        "SELECT conversation_id FROM routing_slaclock WHERE next_check_at IS NOT NULL "
        "AND next_check_at <= %s ORDER BY next_check_at LIMIT 500"
    )

    def bare_query(now) -> tuple[float, int]:
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(bare_sql, [now])
            rows = cursor.fetchall()
        return time.perf_counter() - t0, len(rows)

    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + bare_sql, [now])
        plan = " / ".join(row[0].strip() for row in cursor.fetchall()[:3])
    print(f"  plan: {plan}")
    bare_times = [bare_query(now)[0] for _ in range(20)]
    bare = statistics.median(bare_times)
    t0 = time.perf_counter()
    fired = scan_escalations(now=now)
    scan = time.perf_counter() - t0
    print(
        f"  bare indexed query (first 500 due ids): {bare * 1000:8.2f} ms (median of 20)\n"
        f"  scan_escalations(), firing {fired} escalations: {scan:8.2f} s "
        f"({scan / max(fired, 1) * 1000:.2f} ms per escalation); reading every due id "
        f"through the bare index would take ~{bare * max(due / 500, 1) * 1000:.1f} ms of it"
    )
    t0 = time.perf_counter()
    again = scan_escalations(now=now)
    idle = time.perf_counter() - t0
    idle_bare = statistics.median(bare_query(now)[0] for _ in range(20))
    print(
        f"  idle re-scan (nothing due, {again} fired): {idle * 1000:8.2f} ms vs bare query "
        f"{idle_bare * 1000:.2f} ms ({idle / idle_bare:.1f}x), independent of the "
        f"{total} rows"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--routes", type=int, default=2_000)
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--scan-conversations", type=int, default=100_000)
    parser.add_argument("--skip-routing", action="store_true")
    parser.add_argument("--skip-scan", action="store_true")
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    if not args.skip_routing:
        bench_routing(args)
    if not args.skip_scan:
        bench_scan(args)


if __name__ == "__main__":
    main()
