"""Inbox benchmark: server-side renders against the bare SQL they need, and inbound-to-
browser latency against a raw Redis publish/subscribe round trip, in the same run.

    .venv/bin/python bench/inbox.py        # 100,000 conversations, 1,000,000 messages
    .venv/bin/python bench/inbox.py --conversations 20000 --messages-per-conversation 10
    .venv/bin/python bench/inbox.py --skip-latency        # renders only
    .venv/bin/python bench/inbox.py --reuse               # keep the data of a previous run

Renders go through the Django test client (middleware, view, selectors, templates), so
the ratio is the whole server-side cost of the page over the SQL it needs, run bare on
the same connection (same server settings):
  page ms   the request, as an agent refreshing it sees it
  cold ms   the same after emptying the process's memos (message bodies are rendered
            when written, Message.body_html, so nothing of theirs is memoised)
  bare ms   every query the request ran (its user, access check, rows), replayed bare;
            the first ratio is page over this
  main ms   the page's own query (the list, the counts, the timeline's) alone; the second
            ratio is page over this, a stricter reading that charges the user's load to
            the page
Page and bare queries are timed in turns, so a machine that drifts weighs on both.
Query counts are printed to show they are constant (no N+1). The last line is the floor
every request pays before its view's own work (the session from the cache, the user with
its role in one query).

Production settings, as the desk is deployed: DJANGO_DEBUG=0 (no debug cursor recording
every query, cached template loaders), a bench-only SECRET_KEY, static files collected
into a scratch STATIC_ROOT for the manifest storage, and every request made over HTTPS
as the TLS-terminating proxy forwards it (test client `secure=True`; the live server gets
`X-Forwarded-Proto: https`), so SECURE_SSL_REDIRECT and the rest of the hardening stay on.

Latency: a live ASGI server (uvicorn, Redis channel layer, tasks in-process as with one
worker) receives `POST /api/v1/inbound/`; a websocket client connected as a supervisor
waits for the `conversation.row` event (which carries the rendered row), then fetches the
list fragment as a page does only after a lost event. p50 and p99 over N messages,
beside a Redis PUBLISH -> subscriber round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omnidesk_bench_inbox")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("OMNIDESK_REDIS_PREFIX", "bench-inbox")
os.environ["DJANGO_SETTINGS_MODULE"] = "omnidesk.settings"
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
os.environ["DJANGO_DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "bench-inbox-only-not-a-production-secret-" + "x" * 24)
os.environ.setdefault("STATIC_ROOT", "/tmp/omnidesk-bench-inbox-static")
os.environ.setdefault("LOG_LEVEL", "WARNING")

FIRST = ["Ana", "Ben", "Chloe", "Dmitri", "Emeka", "Fatima", "Giulia", "Hiro", "Ines", "Jonas"]
LAST = ["Silva", "Okafor", "Novak", "Tanaka", "Moreau", "Schmidt", "Haddad", "Kowalski"]
WORDS = ["order", "parcel", "invoice", "refund", "address", "delivery", "account", "login"]


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def insert_select(model, source: str, expressions: dict[str, str]) -> None:
    """INSERT INTO <model> SELECT ... FROM <source>: SQL expressions for the columns we
    shape, the model's defaults for every other column (whoever added them)."""
    from django.db import connection

    columns, values, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(f'"{field.column}"')
        expression = expressions.get(field.attname, expressions.get(field.name))
        if expression is not None:
            values.append(expression.replace("%", "%%"))  # params follow: escape modulo
        else:
            values.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
    sql = (
        f'INSERT INTO "{model._meta.db_table}" ({", ".join(columns)}) '
        f"SELECT {', '.join(values)} FROM {source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def build_dataset(conversations: int, per_conversation: int, long_conversation: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from agents.models import AgentProfile, Team
    from channels_app.models import ChannelEndpoint
    from conversations.models import Conversation, ConversationEvent, Message, Tag
    from customers.models import Customer, Identity

    User = get_user_model()
    started = time.perf_counter()
    with transaction.atomic():
        endpoints = {
            kind: ChannelEndpoint.objects.create(kind=kind, name=f"bench {kind}")
            for kind in ("email", "api", "sms", "whatsapp")
        }
        support = Team.objects.create(name="Bench support")
        messaging = Team.objects.create(name="Bench messaging")
        support.endpoints.add(endpoints["email"], endpoints["api"])
        messaging.endpoints.add(endpoints["sms"], endpoints["whatsapp"])
        agent = User.objects.create_user("bench-agent", password="bench-password")
        AgentProfile.objects.create(user=agent, role=AgentProfile.Role.AGENT)
        messaging.members.add(agent)
        supervisor = User.objects.create_user("bench-supervisor", password="bench-password")
        AgentProfile.objects.create(user=supervisor, role=AgentProfile.Role.SUPERVISOR)
        support.members.add(supervisor)
        tag = Tag.objects.create(name="bench-vip")

        customers = conversations // 2
        first = "(ARRAY[" + ",".join(f"'{n}'" for n in FIRST) + "])"
        last = "(ARRAY[" + ",".join(f"'{n}'" for n in LAST) + "])"
        insert_select(
            Customer,
            f"generate_series(1, {customers}) AS i",
            {
                "name": f"{first}[1 + i % {len(FIRST)}] || ' ' || {last}[1 + (i / 10) % "
                f"{len(LAST)}] || ' ' || i",
                "attributes": "'{}'::jsonb",
                "tags": "'[]'::jsonb",
                "created_at": "now() - interval '400 days'",
                "updated_at": "now()",
            },
        )
        customer_base = Customer.objects.order_by("pk").values_list("pk", flat=True).first() - 1
        insert_select(
            Identity,
            f"generate_series(1, {customers}) AS i",
            {
                "customer_id": f"{customer_base} + i",
                "kind": "'email'",
                "value": "'c' || i || '@bench.example'",
                "verified": "false",
                "created_at": "now()",
            },
        )
        insert_select(
            Identity,
            f"generate_series(1, {customers}) AS i",
            {
                "customer_id": f"{customer_base} + i",
                "kind": "'phone'",
                "value": "'+1' || (2000000000 + i)::text",
                "verified": "false",
                "created_at": "now()",
            },
        )
        kinds = ["email", "api", "sms", "whatsapp"]
        endpoint_ids = "(ARRAY[" + ",".join(str(endpoints[k].pk) for k in kinds) + "])"
        kind_names = "(ARRAY[" + ",".join(f"'{k}'" for k in kinds) + "])"
        team_ids = f"(ARRAY[{support.pk},{support.pk},{messaging.pk},{messaging.pk}])"
        mix = ["open"] * 7 + ["pending", "snoozed", "resolved"]
        statuses = "(ARRAY[" + ",".join(f"'{status}'" for status in mix) + "])"
        insert_select(
            Conversation,
            f"generate_series(1, {conversations}) AS i",
            {
                "customer_id": f"{customer_base} + 1 + (i - 1) % {customers}",
                "endpoint_id": f"{endpoint_ids}[1 + i % 4]",
                "team_id": f"{team_ids}[1 + i % 4]",
                "assignee_id": f"CASE WHEN i % 7 = 0 THEN {agent.pk} END",
                "subject": "'Question about order ' || i",
                "status": f"{statuses}[1 + i % 10]",
                "priority": "i % 4",
                "last_channel": f"{kind_names}[1 + i % 4]",
                "last_message_at": "now() - (i * interval '37 seconds')",
                "last_message_preview": "'Where is my order ' || i || '?'",
                "waiting_since": "CASE WHEN i % 3 = 0 THEN now() - (i * interval '37 seconds') END",
                "created_at": "now() - (i * interval '37 seconds') - interval '1 day'",
                "updated_at": "now()",
            },
        )
        conversation_base = (
            Conversation.objects.order_by("pk").values_list("pk", flat=True).first() - 1
        )
        words = "(ARRAY[" + ",".join(f"'{w}'" for w in WORDS) + "])"
        total_messages = conversations * per_conversation
        insert_select(
            Message,
            f"generate_series(0, {total_messages - 1}) AS j",
            {
                "conversation_id": f"{conversation_base} + 1 + j / {per_conversation}",
                "direction": "CASE WHEN j % 3 = 2 THEN 'out' ELSE 'in' END",
                "kind": "CASE WHEN j % 3 = 2 THEN 'agent' ELSE 'customer' END",
                "endpoint_id": f"{endpoint_ids}[1 + (j / {per_conversation} + j) % 4]",
                "channel": f"{kind_names}[1 + (j / {per_conversation} + j) % 4]",
                "subject": "''",
                "text": f"'Hello, my ' || {words}[1 + j % 8] || ' ' || j || ' is late'"
                " || CASE WHEN j % 10007 = 0 THEN ' flamingo' ELSE '' END",
                "delivery_status": "CASE WHEN j % 3 = 2 THEN 'delivered' ELSE 'received' END",
                "metadata": "'{}'::jsonb",
                "created_at": f"now() - ((j / {per_conversation}) * interval '37 seconds')"
                f" - (({per_conversation} - j % {per_conversation}) * interval '1 second')",
            },
        )
        long_id = conversation_base + 1
        insert_select(
            Message,
            f"generate_series(1, {long_conversation}) AS j",
            {
                "conversation_id": str(long_id),
                "direction": "'in'",
                "kind": "'customer'",
                "endpoint_id": str(endpoints["sms"].pk),
                "channel": "'sms'",
                "subject": "''",
                "text": "'Long thread message ' || j",
                "delivery_status": "'received'",
                "metadata": "'{}'::jsonb",
                "created_at": "now() - interval '2 days' + j * interval '1 second'",
            },
        )
        insert_select(
            ConversationEvent,
            f"generate_series(1, {conversations}) AS i",
            {
                "conversation_id": f"{conversation_base} + i",
                "kind": "'created'",
                "data": "'{}'::jsonb",
                "created_at": "now() - (i * interval '37 seconds') - interval '1 day'",
            },
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO conversations_conversation_tags (conversation_id, tag_id) "
                f"SELECT {conversation_base} + i, {tag.pk} FROM generate_series(1, "
                f"{conversations}, 50) AS i"
            )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"dataset: {conversations:,} conversations, {total_messages + long_conversation:,} "
        f"messages, {customers:,} customers in {time.perf_counter() - started:.1f} s"
    )
    return {"agent": agent.pk, "supervisor": supervisor.pk, "long_id": long_id}


def median_ms(function, repeat: int) -> float:
    function()  # warm caches and the connection
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def interleaved_medians_ms(functions: list, repeat: int) -> list[float]:
    """Median of each function, run in turns so that a machine slowing down or speeding
    up during the run weighs on all of them alike (their ratios are what counts)."""
    for function in functions:
        function()  # warm caches and the connection
    samples: list[list[float]] = [[] for _ in functions]
    for _ in range(repeat):
        for function, timings in zip(functions, samples, strict=True):
            started = time.perf_counter()
            function()
            timings.append((time.perf_counter() - started) * 1000)
    return [statistics.median(timings) for timings in samples]


def recording(captured: list[tuple[str, object]]):
    def wrapper(execute, sql, params, many, context):
        captured.append((sql, params))
        return execute(sql, params, many, context)

    return wrapper


def counting(captured: list[str]):
    def wrapper(execute, sql, params, many, context):
        captured.append(sql)
        return execute(sql, params, many, context)

    return wrapper


def bare(sql: str, params) -> callable:
    from django.db import connection

    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()

    return run


def measure_renders(ids: dict, repeat: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from conversations import selectors
    from conversations.models import Conversation

    User = get_user_model()
    agent = User.objects.select_related("agent_profile").get(pk=ids["agent"])
    supervisor = User.objects.select_related("agent_profile").get(pk=ids["supervisor"])
    long_conversation = Conversation.objects.get(pk=ids["long_id"])

    def list_sql(user, **filters):
        queryset = selectors.inbox_queryset(agent=user, filters=selectors.InboxFilters(**filters))
        return queryset.query.sql_with_params()

    def counts_sql(user):
        # The sum over kept buckets inbox_counts runs, captured from one call.
        with CaptureQueriesContext(connection) as captured:
            selectors.inbox_counts(agent=user)
        return next(q["sql"] for q in captured if "SUM(" in q["sql"].upper()), None

    def timeline_sql(conversation):
        with CaptureQueriesContext(connection) as captured:
            selectors.conversation_timeline(conversation=conversation)
        return [query["sql"] for query in captured]

    cases = [
        (
            "first page (agent, My teams)",
            agent,
            "/inbox/list/?view=teams",
            [list_sql(agent, view="teams")],
        ),
        (
            "first page (supervisor, All)",
            supervisor,
            "/inbox/list/?view=all",
            [list_sql(supervisor, view="all")],
        ),
        (
            "filtered page (All, open, WhatsApp, tag)",
            supervisor,
            "/inbox/list/?view=all&status=open&channel=whatsapp&tag=bench-vip",
            [list_sql(supervisor, view="all", status="open", channel="whatsapp", tag="bench-vip")],
        ),
        (
            "search 'flamingo' (All)",
            supervisor,
            "/inbox/list/?view=all&q=flamingo",
            [list_sql(supervisor, view="all", q="flamingo")],
        ),
        (
            "search 'c12345@bench' (identity prefix)",
            supervisor,
            "/inbox/list/?view=all&q=c12345%40bench",
            [list_sql(supervisor, view="all", q="c12345@bench")],
        ),
        ("counts (summed buckets)", agent, "/inbox/counts/", [counts_sql(agent)]),
        (
            f"open long conversation ({long_conversation.messages.count():,} messages)",
            supervisor,
            f"/inbox/c/{long_conversation.pk}/timeline/",
            [(sql, None) for sql in timeline_sql(long_conversation)],
        ),
    ]

    def forget_rendered_fragments() -> None:
        """Nothing to forget: message bodies are rendered when written (body_html)."""

    print()
    print(
        f"{'render':46} {'page ms':>9} {'cold ms':>9} {'bare ms':>9} {'ratio':>7}"
        f" {'main ms':>9} {'ratio':>7} {'queries':>8}"
    )
    for label, user, url, main_queries in cases:
        client = Client()
        client.force_login(user)
        headers = {"HTTP_HX_REQUEST": "true", "secure": True}
        client.get(url, **headers)  # warm: session, caches
        captured: list[tuple[str, object]] = []
        with connection.execute_wrapper(recording(captured)):
            response = client.get(url, **headers)
        assert response.status_code == 200, (url, response.status_code)

        def page(client=client, url=url, headers=headers) -> None:
            client.get(url, **headers)

        def cold_page(page=page) -> None:
            forget_rendered_fragments()
            page()

        every_query = [bare(sql, params) for sql, params in captured]
        main = [bare(sql, params) for sql, params in main_queries]
        page_ms, cold_ms, bare_ms, main_ms = interleaved_medians_ms(
            [
                page,
                cold_page,
                lambda runs=every_query: [run() for run in runs],
                lambda runs=main: [run() for run in runs],
            ],
            repeat,
        )
        print(
            f"{label:46} {page_ms:9.2f} {cold_ms:9.2f} {bare_ms:9.2f} {page_ms / bare_ms:6.2f}x"
            f" {main_ms:9.2f} {page_ms / main_ms:6.2f}x {len(captured):8d}"
        )
    # Full page for reference: list + counts + layout in one response.
    client = Client()
    client.force_login(agent)
    client.get("/inbox/?view=teams", secure=True)
    captured = []
    with connection.execute_wrapper(counting(captured)):
        response = client.get("/inbox/?view=teams", secure=True)
    assert response.status_code == 200, ("/inbox/", response.status_code)
    full_ms = median_ms(lambda: client.get("/inbox/?view=teams", secure=True), repeat)
    print(f"{'whole /inbox/ page (agent)':46} {full_ms:9.2f} {'':>9} {'':>7} {len(captured):8d}")
    floor_ms, floor_queries = measure_floor(client, repeat)
    label = "floor: login_required empty view"
    print(f"{label:46} {floor_ms:9.2f} {'':>9} {'':>7} {floor_queries:8d}")


def measure_floor(client, repeat: int) -> tuple[float, int]:
    """What every inbox request pays before its own work (test client, middleware,
    session and user loads), from an empty login_required view mounted for the run."""
    from django.contrib.auth.decorators import login_required
    from django.db import connection
    from django.http import HttpResponse
    from django.urls import clear_url_caches, path

    from omnidesk import urls

    urls.urlpatterns.append(
        path("bench-floor/", login_required(lambda request: HttpResponse("ok")))
    )
    clear_url_caches()
    client.get("/bench-floor/", secure=True)
    captured: list[str] = []
    with connection.execute_wrapper(counting(captured)):
        client.get("/bench-floor/", secure=True)
    return median_ms(lambda: client.get("/bench-floor/", secure=True), repeat), len(captured)


# --- Latency ------------------------------------------------------------------------------


def start_server() -> tuple[object, int]:
    import socket

    import uvicorn

    from omnidesk.asgi import application

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            application,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            ws="websockets-sansio",
        )
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return server, port


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure_latency(ids: dict, count: int) -> None:
    import redis
    import websockets
    from django.contrib.auth import get_user_model
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from channels_app.models import ChannelEndpoint

    User = get_user_model()
    supervisor = User.objects.get(pk=ids["supervisor"])
    integration, _created = User.objects.get_or_create(
        username="bench-integration", defaults={"is_superuser": True, "is_staff": True}
    )
    token, _ = Token.objects.get_or_create(user=integration)
    endpoint = ChannelEndpoint.objects.get(kind="api", name="bench api")
    client = Client()
    client.force_login(supervisor)
    session = client.cookies["sessionid"].value
    server, port = start_server()
    base = f"http://127.0.0.1:{port}"

    def post_inbound(index: int) -> None:
        body = json.dumps(
            {
                "endpoint": endpoint.key,
                "id": f"latency-{time.time_ns()}-{index}",
                "from": {"email": f"latency{index % 50}@bench.example"},
                "text": f"Latency probe {index}",
            }
        ).encode()
        request = urllib.request.Request(
            f"{base}/api/v1/inbound/",
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Token {token.key}",
                "X-Forwarded-Proto": "https",
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status in (200, 202)

    def fetch_fragment() -> None:
        request = urllib.request.Request(
            f"{base}/inbox/list/?view=all",
            headers={
                "Cookie": f"sessionid={session}",
                "HX-Request": "true",
                "X-Forwarded-Proto": "https",
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()

    async def run() -> tuple[list[float], list[float]]:
        event_ms, fragment_ms = [], []
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/ws/inbox/",
            additional_headers={"Cookie": f"sessionid={session}", "Origin": base},
        ) as socket:
            hello = json.loads(await socket.recv())
            assert hello["type"] == "hello"
            loop = asyncio.get_running_loop()
            for index in range(count):
                started = time.perf_counter()
                posted = loop.run_in_executor(None, post_inbound, index)
                while True:
                    event = json.loads(await asyncio.wait_for(socket.recv(), timeout=30))
                    group = event.get("group", "")
                    if event.get("type") == "conversation.row" and group == "inbox.supervisors":
                        break
                event_ms.append((time.perf_counter() - started) * 1000)
                await loop.run_in_executor(None, fetch_fragment)
                fragment_ms.append((time.perf_counter() - started) * 1000)
                await posted
        return event_ms, fragment_ms

    event_ms, fragment_ms = asyncio.run(run())
    server.should_exit = True

    # Baseline: a raw Redis PUBLISH to a subscriber, same machine, same count.
    connection = redis.Redis.from_url(os.environ["REDIS_URL"])
    subscriber = connection.pubsub()
    subscriber.subscribe("bench-inbox-latency")
    subscriber.get_message(timeout=1)
    redis_ms = []
    for index in range(count):
        started = time.perf_counter()
        connection.publish("bench-inbox-latency", str(index))
        while subscriber.get_message(timeout=5) is None:
            pass
        redis_ms.append((time.perf_counter() - started) * 1000)
    subscriber.close()

    print()
    print(f"latency over {count} messages {'p50 ms':>10} {'p99 ms':>10}")
    for label, samples in (
        ("POST -> event on websocket", event_ms),
        ("POST -> row event -> refetch", fragment_ms),
        ("raw Redis publish/subscribe", redis_ms),
    ):
        print(f"{label:31} {percentile(samples, 0.5):10.2f} {percentile(samples, 0.99):10.2f}")
    print(
        f"ratio event p50 / redis p50: {percentile(event_ms, 0.5) / percentile(redis_ms, 0.5):.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages-per-conversation", type=int, default=10)
    parser.add_argument("--long-conversation", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--latency-messages", type=int, default=1_000)
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-renders", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="keep the data of a previous run")
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
    # The live server runs views in worker threads; persistent connections per thread
    # would pile up against a shared PostgreSQL's max_connections.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    from django.contrib.auth import get_user_model

    from conversations.models import Conversation

    existing = get_user_model().objects.filter(username__in=["bench-agent", "bench-supervisor"])
    if args.reuse and existing.count() == 2:
        users = {u.username: u.pk for u in existing}
        ids = {
            "agent": users["bench-agent"],
            "supervisor": users["bench-supervisor"],
            "long_id": Conversation.objects.order_by("pk").values_list("pk", flat=True).first(),
        }
        print(f"dataset: reusing {Conversation.objects.count():,} conversations")
    else:
        call_command("flush", interactive=False, verbosity=0)
        ids = build_dataset(
            args.conversations, args.messages_per_conversation, args.long_conversation
        )
    if not args.skip_renders:
        measure_renders(ids, args.repeat)
    if not args.skip_latency:
        measure_latency(ids, args.latency_messages)


if __name__ == "__main__":
    main()
