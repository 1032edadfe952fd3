"""Live inbox benchmark (issue 19, item 6): N agents as real websocket clients that behave
as the inbox's JavaScript does, customers' messages arriving at R per second through
`POST /api/v1/inbound/`, on PostgreSQL and Redis with a real Celery worker and uvicorn.

    .venv/bin/python bench/live.py                       # the default steps, 60 s each
    .venv/bin/python bench/live.py --reuse               # keep the desk seeded by a previous run
    .venv/bin/python bench/live.py --steps 10x2,50x10 --seconds 10 \\
        --conversations 2000 --messages-per-conversation 3          # a quick look
    .venv/bin/python bench/live.py --app-root /tmp/omnidesk-before  # another checkout's code

Topology, as deployed (docker-compose.yml), on this machine: one uvicorn process
(`uvicorn omnidesk.asgi:application --proxy-headers`), one Celery worker
(`celery -A omnidesk worker -Q inbound,outbound,periodic,default`, default concurrency),
production settings (DJANGO_DEBUG=0, every request sent as the TLS proxy forwards it, with
`X-Forwarded-Proto: https`), Redis at 127.0.0.1:6379 (db 9, keys under their own prefix),
and the benchmark's own PostgreSQL 15 server (initdb under /tmp, port 55432, the same
settings as the machine's server: 100 connections, 128 MB shared buffers) with
`pg_stat_statements` loaded, so queries are counted by the server itself. Both app
processes run from `--app-root` (default: this checkout), each under its own database
role (`omnidesk_web`, `omnidesk_worker`) so their statements are counted apart. The
benchmark process, the agents' process, the server and the database share the machine's
cores: the load generator is included, as in the issue.

The desk: 20,000 conversations and 150,000 messages (bulk SQL, as bench/inbox.py seeds),
4 teams each owning an API inbox and an email inbox. Agent i belongs to teams i and i+1
(mod 4), so sees about half of the desk and of the traffic; every 20th agent is a
supervisor (sees everything). Agents sit on their "My teams" tab (supervisors on "All"),
status Open, with one conversation open (a recently active one they may see). Each one:
a session of its own (signed in by Django's login in the setup process), loads
/inbox/c/<id>/, then the counts, connects /ws/inbox/ with the session cookie and sends
{"action": "watch"} after `hello`, and "viewing" every 20 s, as the page does.
Inbound: 80 % from the customers of the 1,000 most recently active open conversations
of the API inboxes, 20 % from new customers, spread over the four API inboxes.

What the agents do on events follows `static/js/inbox.js` (protocol 1, today's) or the
protocol-2 contract (rows carried by the events), detected from each socket's `hello`;
see bench/_live_agents.py.

First line: the floor, a raw Redis PUBLISH -> subscriber round trip (p50 / p99).
Then one row per step (agents x messages per second, --seconds each):
  event p50/p99    from sending the POST to the first `message.*`/`conversation.*` event
                   about that message's conversation reaching each agent who may see it
                   (supervisors, members of a team owning its inbox or working it, its
                   assignee), over every (message, agent) pair; a p99 (p50) reads
                   "lost" when more than 1 % (50 %) had not arrived when the step was
                   cut (--tail after its inbound ended): dropped by the channel layer
                   (a full or expired queue) or later than that (the share is in the
                   notes)
  visible p50/p99  from the POST until that agent's current view (the first page of its
                   tab) shows the row with the message (or a newer message of the same
                   conversation): protocol 1, a refetched list fragment containing the
                   message's text; protocol 2, the applied `conversation.row`; over the
                   agents whose tab holds the conversation
  failed posts     POSTs answered non-2xx, refused or timed out (30 s), of those sent
  inbound p50/p99  the inbound API's answer time (a timeout counts as 30 s)
  req/s            HTTP requests the agents made to the web server per second (page,
                   list, counts, timeline, header), the inbound POSTs not included
  q/msg            SQL statements the database executed (pg_stat_statements calls,
                   utility statements such as BEGIN/COMMIT not counted) during the step,
                   per message accepted; in brackets: by the web process + by the worker
  conns new/peak   database connections opened during the step / the most open at once
  web% wkr% db%    CPU time over the step of uvicorn, the Celery worker (pool included)
                   and PostgreSQL (every backend), in % of one core (the machine has 2)
  bench% other%    the load generator (this process and the agents' processes); the
                   rest of the machine (someone else's tests...): a row with much of it
                   is noisy
  proto            the protocol the agents' sockets announced in `hello`
  backlog          inbound events still pending when the step's inbound ended; then how
                   long after it everything was idle (messages processed, events
                   delivered, refreshes done: "idle +N s", "drained +N s" if some were
                   pending), or "COLLAPSED" when something was still in flight --tail
                   seconds after it (the step is cut there, it never hangs)
  notes            gaps (sequence gaps seen by clients), resyncs, reconnects, failed agent
                   requests, messages never processed, a step started with a backlog

Messages are correlated after each step: each carries a unique token as its provider id
and in its text; the database says which message and conversation each token became
(and the conversation's inbox, team and assignee: who may see it). Figures are printed,
never asserted. The benchmark stops everything it started on exit or Ctrl-C (the database
server too; its data directory stays for --reuse).
"""

# ruff: noqa: E402 (the path is fixed before the first import, see below)
from __future__ import annotations

import os
import sys

# Python puts this script's directory first on the path, where a module named like a
# standard one (bench/threading.py) or an app (bench/routing.py) would shadow it: look
# here last (for _live_agents only).
_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _BENCH] + [_BENCH]

import argparse
import asyncio
import bisect
import contextlib
import json
import math
import multiprocessing
import random
import resource
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
DEFAULT_STEPS = "10x2,10x10,50x2,50x10,100x2,100x10,200x2,200x10"
TEAMS = 4
SUPERVISOR_EVERY = 20
POOL_SIZE = 1_000
NEW_CUSTOMER_SHARE = 0.2
POST_TIMEOUT_S = 30.0
QUIET_S = 2.0  # no event for this long, no request in flight: the agents are idle
WEB_ROLE, WORKER_ROLE = "omnidesk_web", "omnidesk_worker"
DESK_MARKER = "bench_live_desk"
AGENT_USERNAMES = r"^bench-live-\d{3,}$"  # bench-live-000, -001, ...: created in that order

FIRST = ["Ana", "Ben", "Chloe", "Dmitri", "Emeka", "Fatima", "Giulia", "Hiro", "Ines", "Jonas"]
LAST = ["Silva", "Okafor", "Novak", "Tanaka", "Moreau", "Schmidt", "Haddad", "Kowalski"]
WORDS = ["order", "parcel", "invoice", "refund", "address", "delivery", "account", "login"]


def raise_file_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))


# --- Setup (a child process running in --app-root, with Django) ----------------------------


def insert_select(model: Any, source: str, expressions: dict[str, str]) -> None:
    """INSERT INTO <model> SELECT ... FROM <source>: SQL expressions for the columns we
    shape, the model's defaults for every other column (as bench/inbox.py seeds)."""
    from django.db import connection

    columns, values, params = [], [], []
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key:
            continue
        columns.append(f'"{model_field.column}"')
        expression = expressions.get(model_field.attname, expressions.get(model_field.name))
        if expression is not None:
            values.append(expression.replace("%", "%%"))
        else:
            values.append("%s")
            params.append(model_field.get_db_prep_save(model_field.get_default(), connection))
    sql = (
        f'INSERT INTO "{model._meta.db_table}" ({", ".join(columns)}) '
        f"SELECT {', '.join(values)} FROM {source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def sql_array(values: list[Any]) -> str:
    return "(ARRAY[" + ",".join(f"'{v}'" if isinstance(v, str) else str(v) for v in values) + "])"


def ensure_agents(count: int) -> None:
    """Agents bench-live-000.. with their teams: agent i in teams i and i+1 (mod 4), every
    20th a supervisor. Created once; a larger run adds the missing ones."""
    from django.contrib.auth import get_user_model

    from agents.models import AgentProfile, Team

    user_model = get_user_model()
    teams = list(Team.objects.filter(name__startswith="Bench live ").order_by("name"))
    existing = set(
        user_model.objects.filter(username__regex=AGENT_USERNAMES).values_list(
            "username", flat=True
        )
    )
    for index in range(count):
        username = f"bench-live-{index:03d}"
        if username in existing:
            continue
        user = user_model.objects.create_user(
            username,
            first_name=FIRST[index % len(FIRST)],
            last_name=f"{LAST[index % len(LAST)]} {index}",
        )
        role = (
            AgentProfile.Role.SUPERVISOR
            if index % SUPERVISOR_EVERY == 0
            else AgentProfile.Role.AGENT
        )
        AgentProfile.objects.create(user=user, role=role)
        for team_index in {index % TEAMS, (index + 1) % TEAMS}:
            teams[team_index].members.add(user)


def build_desk(conversations: int, per_conversation: int, long_conversation: int) -> None:
    from django.db import connection, transaction

    from agents.models import Team
    from channels_app.models import ChannelEndpoint
    from conversations.models import Conversation, ConversationEvent, Message, Tag
    from customers.models import Customer, Identity

    started = time.perf_counter()
    with transaction.atomic():
        teams = [Team.objects.create(name=f"Bench live {n + 1}") for n in range(TEAMS)]
        endpoints = []
        for kind in ("api", "email"):
            for n, team in enumerate(teams):
                endpoint = ChannelEndpoint.objects.create(
                    kind=kind, name=f"bench live {kind} {n + 1}"
                )
                team.endpoints.add(endpoint)
                endpoints.append((endpoint, team))
        ensure_agents(200)
        members = [list(team.members.order_by("pk").values_list("pk", flat=True)) for team in teams]
        tag = Tag.objects.create(name="bench-live-vip")
        customers = max(1, conversations // 2)
        insert_select(
            Customer,
            f"generate_series(1, {customers}) AS i",
            {
                "name": f"{sql_array(FIRST)}[1 + i % {len(FIRST)}] || ' ' || "
                f"{sql_array(LAST)}[1 + (i / 10) % {len(LAST)}] || ' ' || i",
                "attributes": "'{}'::jsonb",
                "tags": "'[]'::jsonb",
                "created_at": "now() - interval '400 days'",
                "updated_at": "now()",
            },
        )
        customer_base = Customer.objects.order_by("pk").values_list("pk", flat=True).first() - 1
        for kind, value in (("email", "'c' || i || '@bench.example'"), ("phone", None)):
            insert_select(
                Identity,
                f"generate_series(1, {customers}) AS i",
                {
                    "customer_id": f"{customer_base} + i",
                    "kind": f"'{kind}'",
                    "value": value or "'+1' || (2000000000 + i)::text",
                    "verified": "false",
                    "created_at": "now()",
                },
            )
        slots = len(endpoints)
        endpoint_ids = sql_array([endpoint.pk for endpoint, _ in endpoints])
        kind_names = sql_array([endpoint.kind for endpoint, _ in endpoints])
        team_ids = sql_array([team.pk for _, team in endpoints])
        # Every 7th conversation is assigned to a member of its team.
        assignee = "CASE " + " ".join(
            f"WHEN i % {TEAMS} = {n} THEN {sql_array(ids)}[1 + (i / 7) % {len(ids)}]"
            for n, ids in enumerate(members)
        )
        assignee += " END"
        mix = ["open"] * 7 + ["pending", "snoozed", "resolved"]
        insert_select(
            Conversation,
            f"generate_series(1, {conversations}) AS i",
            {
                "customer_id": f"{customer_base} + 1 + (i - 1) % {customers}",
                "endpoint_id": f"{endpoint_ids}[1 + i % {slots}]",
                "team_id": f"{team_ids}[1 + i % {slots}]",
                "assignee_id": f"CASE WHEN i % 7 = 0 THEN {assignee} END",
                "subject": "'Question about order ' || i",
                "status": f"{sql_array(mix)}[1 + i % 10]",
                "priority": "i % 4",
                "last_channel": f"{kind_names}[1 + i % {slots}]",
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
        total = conversations * per_conversation
        slot = f"(1 + (1 + j / {per_conversation}) % {slots})"
        insert_select(
            Message,
            f"generate_series(0, {total - 1}) AS j",
            {
                "conversation_id": f"{conversation_base} + 1 + j / {per_conversation}",
                "direction": "CASE WHEN j % 3 = 2 THEN 'out' ELSE 'in' END",
                "kind": "CASE WHEN j % 3 = 2 THEN 'agent' ELSE 'customer' END",
                "endpoint_id": f"{endpoint_ids}[{slot}]",
                "channel": f"{kind_names}[{slot}]",
                "subject": "''",
                "text": f"'Hello, my ' || {sql_array(WORDS)}[1 + j % 8] || ' ' || j || ' is late'",
                "delivery_status": "CASE WHEN j % 3 = 2 THEN 'delivered' ELSE 'received' END",
                "metadata": "'{}'::jsonb",
                "created_at": f"now() - ((j / {per_conversation}) * interval '37 seconds')"
                f" - (({per_conversation} - j % {per_conversation}) * interval '1 second')",
            },
        )
        # One long thread (the oldest conversation: nobody has it open).
        insert_select(
            Message,
            f"generate_series(1, {long_conversation}) AS j",
            {
                "conversation_id": str(conversation_base + conversations),
                "direction": "'in'",
                "kind": "'customer'",
                "endpoint_id": f"{endpoint_ids}[1 + {conversations} % {slots}]",
                "channel": f"{kind_names}[1 + {conversations} % {slots}]",
                "subject": "''",
                "text": "'Long thread message ' || j",
                "delivery_status": "'received'",
                "metadata": "'{}'::jsonb",
                "created_at": "now() - interval '9 days' + j * interval '1 second'",
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
                "INSERT INTO conversations_conversation_tags (conversation_id, tag_id) "
                f"SELECT {conversation_base} + i, {tag.pk} FROM generate_series(1, "
                f"{conversations}, 50) AS i"
            )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"seeded {conversations:,} conversations, {total + long_conversation:,} messages, "
        f"{customers:,} customers in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )


def run_setup(args: argparse.Namespace) -> None:
    """Migrate, seed (unless the desk is there), sign the agents in, pick what they open
    and who writes; the orchestrator reads the result from --setup-out."""
    app_root = Path(args.app_root).resolve()
    # The code must come from the app root only (bench/ is last on the path, see the top).
    sys.path.insert(0, str(app_root))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from agents.models import Team
    from channels_app.models import ChannelEndpoint
    from conversations.models import Conversation, Message
    from customers.models import Identity

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    desk = f"{args.conversations}x{args.messages_per_conversation}+{args.long_conversation}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {DESK_MARKER} (desk text)")
        cursor.execute(f"SELECT desk FROM {DESK_MARKER}")
        seeded = [row[0] for row in cursor.fetchall()]
    if seeded != [desk]:
        build_desk(args.conversations, args.messages_per_conversation, args.long_conversation)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {DESK_MARKER}")
            cursor.execute(f"INSERT INTO {DESK_MARKER} VALUES (%s)", [desk])
    ensure_agents(args.max_agents)

    teams = list(Team.objects.filter(name__startswith="Bench live ").order_by("name"))
    owners: dict[int, list[int]] = {}
    endpoints = []
    for endpoint in ChannelEndpoint.objects.filter(name__startswith="bench live ").order_by("pk"):
        owners[endpoint.pk] = sorted(endpoint.teams.values_list("pk", flat=True))
        endpoints.append(
            {
                "id": endpoint.pk,
                "key": endpoint.key,
                "kind": endpoint.kind,
                "teams": owners[endpoint.pk],
            }
        )
    api_ids = [e["id"] for e in endpoints if e["kind"] == "api"]
    emails = dict(Identity.objects.filter(kind="email").values_list("customer_id", "value"))
    pool, seen = [], set()
    recent = (
        Conversation.objects.filter(status="open", endpoint_id__in=api_ids)
        .order_by("-last_message_at")
        .values_list("pk", "endpoint_id", "customer_id")[: POOL_SIZE * 2]
    )
    for conversation_id, endpoint_id, customer_id in recent:
        email = emails.get(customer_id)
        if email and email not in seen:
            seen.add(email)
            pool.append({"email": email, "endpoint": endpoint_id, "conversation": conversation_id})
        if len(pool) == POOL_SIZE:
            break

    user_model = get_user_model()
    agents = []
    users = user_model.objects.filter(username__regex=AGENT_USERNAMES).order_by("pk")
    for index, user in enumerate(users[: args.max_agents]):
        team_ids = sorted(user.teams.values_list("pk", flat=True))
        supervisor = index % SUPERVISOR_EVERY == 0
        visible = [
            item["conversation"]
            for item in pool
            if supervisor or set(owners[item["endpoint"]]) & set(team_ids)
        ]
        client = Client()
        client.force_login(user)
        agents.append(
            {
                "id": user.pk,
                "index": index,
                "supervisor": supervisor,
                "teams": team_ids,
                "view": "all" if supervisor else "teams",
                "watch": random.Random(index).choice(visible) if visible else None,
                "session": client.cookies["sessionid"].value,
            }
        )
    integration, _created = user_model.objects.get_or_create(
        username="bench-live-integration", defaults={"is_superuser": True, "is_staff": True}
    )
    token, _created = Token.objects.get_or_create(user=integration)
    result = {
        "teams": [team.pk for team in teams],
        "endpoints": endpoints,
        "agents": agents,
        "pool": pool,
        "token": token.key,
        "conversations": Conversation.objects.count(),
        "messages": Message.objects.count(),
    }
    Path(args.setup_out).write_text(json.dumps(result))


# --- The benchmark's PostgreSQL server ------------------------------------------------------


class Postgres:
    """A private PostgreSQL 15 with pg_stat_statements (the machine's server cannot load it
    without a restart), set up like the machine's own: 100 connections, 128 MB buffers."""

    def __init__(self, pgdata: Path, port: int) -> None:
        self.pgdata = pgdata
        self.port = port
        self.pid: int | None = None

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        argv = [str(PG_BIN / command[0]), *command[1:]]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            argv = ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(argv, check=check, capture_output=True, text=True)

    def start(self) -> None:
        if not (self.pgdata / "PG_VERSION").exists():
            self.pgdata.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(self.pgdata, "postgres", "postgres")
            self.pgdata.chmod(0o700)
            self._run(
                "initdb", "-D", str(self.pgdata), "-U", "postgres", "--auth=trust",
                "-E", "UTF8", "--locale=C.UTF-8",
            )  # fmt: skip
            with (self.pgdata / "postgresql.conf").open("a") as conf:
                conf.write(
                    "\n# bench/live.py\n"
                    f"port = {self.port}\n"
                    "listen_addresses = '127.0.0.1'\n"
                    "unix_socket_directories = '/tmp'\n"
                    "max_connections = 100\n"
                    "shared_buffers = 128MB\n"
                    "max_wal_size = 1GB\n"
                    "timezone = 'UTC'\n"
                    "shared_preload_libraries = 'pg_stat_statements'\n"
                    "pg_stat_statements.max = 20000\n"
                    "pg_stat_statements.track = top\n"
                    "pg_stat_statements.track_utility = off\n"
                )
        if self._run("pg_ctl", "status", "-D", str(self.pgdata), check=False).returncode != 0:
            self._run(
                "pg_ctl", "start", "-w", "-t", "120", "-D", str(self.pgdata),
                "-l", str(self.pgdata / "server.log"),
            )  # fmt: skip
        self.pid = int((self.pgdata / "postmaster.pid").read_text().split()[0])

    def stop(self) -> None:
        if self.pid is not None:
            self._run("pg_ctl", "stop", "-m", "fast", "-D", str(self.pgdata), check=False)
            self.pid = None

    def connect(self, database: str = "postgres") -> Any:
        import psycopg

        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database, autocommit=True
        )


def prepare_database(pg: Postgres, name: str, desk: str, reuse: bool) -> bool:
    """The bench database, recreated unless --reuse finds the same desk in it. Returns
    whether it was kept."""
    import psycopg

    with pg.connect() as admin:
        for role in (WEB_ROLE, WORKER_ROLE):
            if not admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
                admin.execute(f"CREATE ROLE {role} LOGIN SUPERUSER")
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        kept = False
        if exists and reuse:
            with pg.connect(name) as conn, contextlib.suppress(psycopg.Error):
                kept = conn.execute(f"SELECT desk FROM {DESK_MARKER}").fetchall() == [(desk,)]
        if not kept:
            if exists:
                admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
    with pg.connect(name) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    return kept


# --- Processes -----------------------------------------------------------------------------


@dataclass
class Config:
    app_root: Path
    database: str
    prefix: str
    redis_url: str
    pg: Postgres
    logs: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def env(self, role: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=f"postgres://{role}@127.0.0.1:{self.pg.port}/{self.database}",
            REDIS_URL=self.redis_url,
            OMNIDESK_REDIS_PREFIX=self.prefix,
            DJANGO_SETTINGS_MODULE="omnidesk.settings",
            DJANGO_DEBUG="0",
            SECRET_KEY="bench-live-only-not-a-production-secret-" + "x" * 24,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            STATIC_ROOT=f"/tmp/omnidesk-bench-live-static-{self.database}",
            LOG_LEVEL="WARNING",
            CELERY_TASK_ALWAYS_EAGER="0",
            PYTHONPATH=str(self.app_root),
        )
        return env

    def spawn(self, name: str, argv: list[str], role: str) -> subprocess.Popen:
        log = (self.logs / f"{self.database}-{name}.log").open("w")
        process = subprocess.Popen(
            argv,
            cwd=self.app_root,
            env=self.env(role),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: stopped with its pool children
        )
        self.processes.append(process)
        return process


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the web server exited (see its log)")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the web server did not start")


def cpu_seconds(pid: int | None) -> float:
    """CPU time of a process and its descendants, those already reaped included."""
    import psutil

    if pid is None:
        return 0.0
    try:
        root = psutil.Process(pid)
        times = root.cpu_times()
        total = times.user + times.system + times.children_user + times.children_system
        for child in root.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                child_times = child.cpu_times()
                total += child_times.user + child_times.system
        return total
    except psutil.Error:
        return 0.0


def git_describe(app_root: Path) -> str:
    try:
        commit = subprocess.run(
            ["git", "-C", str(app_root), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(app_root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" + uncommitted changes" if dirty else "")


# --- The agents' processes -----------------------------------------------------------------


class AgentPool:
    def __init__(self, processes: int, base: str, token_pattern: str) -> None:
        import _live_agents

        context = multiprocessing.get_context("spawn")
        self.links = []
        for _ in range(processes):
            parent, child = context.Pipe()
            process = context.Process(
                target=_live_agents.agent_process, args=(child, base, token_pattern), daemon=True
            )
            process.start()
            self.links.append((process, parent))
        self.connected: dict[int, int] = {}  # agent id -> process index

    def _each(self, command: str, arguments: list[Any]) -> list[Any]:
        for (_process, conn), argument in zip(self.links, arguments, strict=True):
            conn.send((command, argument))
        return [conn.recv() for _process, conn in self.links]

    def _all(self, command: str) -> list[Any]:
        return self._each(command, [None] * len(self.links))

    def resize(self, agents: list[dict[str, Any]]) -> list[str]:
        wanted = {agent["id"] for agent in agents}
        leaving: list[list[int]] = [[] for _ in self.links]
        for agent_id, index in list(self.connected.items()):
            if agent_id not in wanted:
                leaving[index].append(agent_id)
                del self.connected[agent_id]
        self._each("disconnect", leaving)
        arriving: list[list[dict[str, Any]]] = [[] for _ in self.links]
        for agent in agents:
            if agent["id"] not in self.connected:
                index = agent["index"] % len(self.links)
                arriving[index].append(
                    {key: agent[key] for key in ("id", "session", "view", "watch", "supervisor")}
                )
                self.connected[agent["id"]] = index
        failures = []
        for result in self._each("connect", arriving):
            failures += result["failures"]
        return failures

    def mark(self) -> None:
        self._all("mark")

    def status(self) -> dict[str, Any]:
        results = self._all("status")
        return {
            "last_event_at": max(r["last_event_at"] for r in results),
            "busy": sum(r["busy"] for r in results),
            "protocols": sorted({p for r in results for p in r["protocols"]}),
            "requests": sum(r["requests"] for r in results),
        }

    def collect(self) -> dict[int, dict[str, Any]]:
        merged: dict[int, dict[str, Any]] = {}
        for result in self._all("collect"):
            merged.update(result)
        return merged

    def pids(self) -> list[int]:
        return [process.pid for process, _conn in self.links]

    def stop(self) -> None:
        for _process, conn in self.links:
            with contextlib.suppress(Exception):
                conn.send(("stop", None))
        for process, _conn in self.links:
            process.join(timeout=5)  # closes its sockets first
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join()


# --- Measuring -----------------------------------------------------------------------------


def percentile(samples: list[float], fraction: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def duration(seconds: float) -> str:
    if math.isnan(seconds):
        return "-"
    if math.isinf(seconds):
        return "lost"
    if seconds < 0.01:
        return f"{seconds * 1000:.2f} ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 10:
        return f"{seconds:.2f} s"
    return f"{seconds:.1f} s"


def pair(samples: list[float]) -> str:
    return f"{duration(percentile(samples, 0.5))} / {duration(percentile(samples, 0.99))}"


def redis_floor(redis_url: str, channel: str, count: int) -> list[float]:
    """A raw Redis PUBLISH to a subscriber on this machine, round trip (as bench/inbox.py)."""
    import redis

    connection = redis.Redis.from_url(redis_url)
    subscriber = connection.pubsub()
    subscriber.subscribe(channel)
    subscriber.get_message(timeout=1)
    samples = []
    for index in range(count):
        started = time.perf_counter()
        connection.publish(channel, str(index))
        while subscriber.get_message(timeout=5) is None:
            pass
        samples.append(time.perf_counter() - started)
    subscriber.close()
    connection.close()
    return samples


@dataclass
class Post:
    token: str
    endpoint: int
    email: str
    started: float = 0.0
    elapsed: float = 0.0
    status: int | None = None

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Step:
    agents: int
    rate: float


class Bench:
    def __init__(self, args: argparse.Namespace, config: Config, meta: dict[str, Any]) -> None:
        self.args = args
        self.config = config
        self.meta = meta
        self.run_id = random.randrange(10_000, 99_999)
        self.rng = random.Random(self.run_id)
        self.sent = 0
        self.endpoints = {e["id"]: e for e in meta["endpoints"]}
        self.api_endpoints = [e["id"] for e in meta["endpoints"] if e["kind"] == "api"]
        self.agents = meta["agents"]
        self.db = config.pg.connect(config.database)
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.pool: AgentPool | None = None
        self.base = ""

    @property
    def token_pattern(self) -> str:
        return f"lv{self.run_id}n\\d+"

    # -- database readings --

    def pending(self) -> int:
        return self.db.execute(
            "SELECT count(*) FROM channels_app_inboundevent WHERE status = 'pending'"
        ).fetchone()[0]

    def statements(self) -> dict[str, int]:
        rows = self.db.execute(
            "SELECT r.rolname, sum(s.calls) FROM pg_stat_statements s "
            "JOIN pg_roles r ON r.oid = s.userid JOIN pg_database d ON d.oid = s.dbid "
            "WHERE d.datname = %s GROUP BY r.rolname",
            [self.config.database],
        ).fetchall()
        return {name: int(calls) for name, calls in rows}

    def sessions_opened(self) -> int:
        self.db.execute("SELECT pg_stat_clear_snapshot()")
        return self.db.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = %s", [self.config.database]
        ).fetchone()[0]

    def open_connections(self) -> int:
        return self.db.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND usename IN (%s, %s)",
            [self.config.database, WEB_ROLE, WORKER_ROLE],
        ).fetchone()[0]

    def cpu(self) -> dict[str, float]:
        bench = time.process_time()
        if self.pool is not None:
            bench += sum(cpu_seconds(pid) for pid in self.pool.pids())
        import psutil

        machine = psutil.cpu_times()
        return {
            "machine": sum(machine) - machine.idle - machine.iowait,
            "web": cpu_seconds(self.web.pid if self.web else None),
            "worker": cpu_seconds(self.worker.pid if self.worker else None),
            "db": cpu_seconds(self.config.pg.pid),
            "bench": bench,
        }

    # -- the servers --

    def start_servers(self) -> None:
        python = sys.executable
        self.worker = self.config.spawn(
            "worker",
            [python, "-m", "celery", "-A", "omnidesk", "worker",
             "-Q", "inbound,outbound,periodic,default", "--loglevel", "WARNING"],
            WORKER_ROLE,
        )  # fmt: skip
        port = free_port()
        self.web = self.config.spawn(
            "web",
            [python, "-m", "uvicorn", "omnidesk.asgi:application", "--host", "127.0.0.1",
             "--port", str(port), "--proxy-headers", "--log-level", "warning"],
            WEB_ROLE,
        )  # fmt: skip
        wait_for_port(port, self.web)
        self.base = f"http://127.0.0.1:{port}"

    # -- inbound --

    def plan(self, count: int) -> list[Post]:
        posts = []
        for _ in range(count):
            self.sent += 1
            token = f"lv{self.run_id}n{self.sent}"
            if self.rng.random() < NEW_CUSTOMER_SHARE or not self.meta["pool"]:
                endpoint = self.rng.choice(self.api_endpoints)
                email = f"new-{self.run_id}-{self.sent}@bench.example"
            else:
                customer = self.rng.choice(self.meta["pool"])
                endpoint, email = customer["endpoint"], customer["email"]
            posts.append(Post(token=token, endpoint=endpoint, email=email))
        return posts

    async def send(self, session: Any, post: Post) -> None:
        import aiohttp

        body = {
            "endpoint": self.endpoints[post.endpoint]["key"],
            "id": post.token,
            "from": {"email": post.email},
            "text": f"Hello, {post.token}: where is my parcel?",
        }
        headers = {
            "Authorization": f"Token {self.meta['token']}",
            "X-Forwarded-Proto": "https",
        }
        post.started = time.monotonic()
        try:
            async with session.post(
                f"{self.base}/api/v1/inbound/",
                json=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=POST_TIMEOUT_S),
            ) as response:
                await response.read()
                post.status = response.status
        except Exception:
            post.status = None
        post.elapsed = time.monotonic() - post.started

    async def warm_up(self) -> None:
        import aiohttp

        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
            posts = self.plan(5)
            await asyncio.gather(*(self.send(session, post) for post in posts))
        if not all(post.accepted for post in posts):
            raise RuntimeError(f"warm-up posts failed: {[p.status for p in posts]}")
        deadline = time.monotonic() + 120
        while self.pending() and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        if self.pending():
            raise RuntimeError("the worker did not process the warm-up messages (see its log)")

    # -- a step --

    async def quiet(self, deadline: float, posts: list[asyncio.Task] | None = None) -> bool:
        loop = asyncio.get_running_loop()
        while True:
            done = posts is None or all(task.done() for task in posts)
            if done and self.pending() == 0:
                status = await loop.run_in_executor(None, self.pool.status)
                if status["busy"] == 0 and time.monotonic() - status["last_event_at"] > QUIET_S:
                    return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.5)

    async def window(self, step: Step) -> dict[str, Any]:
        import aiohttp

        loop = asyncio.get_running_loop()
        seconds = self.args.seconds
        posts = self.plan(round(seconds * step.rate))
        await loop.run_in_executor(None, self.pool.mark)
        self.db.execute("SELECT pg_stat_statements_reset()")
        sessions_before = self.sessions_opened()
        cpu_before = self.cpu()
        peak_connections = 0
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0), cookie_jar=aiohttp.DummyCookieJar()
        ) as session:
            started = time.monotonic()

            async def timed(index: int, post: Post) -> None:
                await asyncio.sleep(max(0.0, started + index / step.rate - time.monotonic()))
                await self.send(session, post)

            tasks = [loop.create_task(timed(i, post)) for i, post in enumerate(posts)]
            window_end = started + seconds
            while time.monotonic() < window_end:
                peak_connections = max(peak_connections, self.open_connections())
                await asyncio.sleep(min(1.0, max(0.0, window_end - time.monotonic())))
            elapsed = time.monotonic() - started
            cpu_after = self.cpu()
            statements = self.statements()
            dealloc = self.db.execute("SELECT dealloc FROM pg_stat_statements_info").fetchone()[0]
            sessions = self.sessions_opened() - sessions_before
            status = await loop.run_in_executor(None, self.pool.status)
            pending_at_end = self.pending()
            quiet = await self.quiet(window_end + self.args.tail, tasks)
            drained_after = time.monotonic() - window_end
            for task in tasks:
                task.cancel()
        return {
            "posts": posts,
            "elapsed": elapsed,
            "cpu": {key: cpu_after[key] - cpu_before[key] for key in cpu_after},
            "statements": statements,
            "dealloc": dealloc,
            "sessions": sessions,
            "peak_connections": peak_connections,
            "requests": status["requests"],
            "protocols": status["protocols"],
            "pending_at_end": pending_at_end,
            "quiet": quiet,
            "drained_after": drained_after,
        }

    def correlate(self, posts: list[Post]) -> dict[str, dict[str, Any]]:
        rows = self.db.execute(
            "SELECT m.provider_message_id, m.conversation_id, c.endpoint_id, c.team_id, "
            "c.assignee_id, c.status FROM conversations_message m "
            "JOIN conversations_conversation c ON c.id = m.conversation_id "
            "WHERE m.direction = 'in' AND m.provider_message_id = ANY(%s)",
            [[post.token for post in posts]],
        ).fetchall()
        return {
            token: {
                "conversation": conversation,
                "endpoint": endpoint,
                "team": team,
                "assignee": assignee,
                "status": status,
            }
            for token, conversation, endpoint, team, assignee, status in rows
        }

    def run_step(self, step: Step) -> None:
        agents = self.agents[: step.agents]
        if len(agents) < step.agents:
            raise SystemExit(f"only {len(agents)} agents were set up (--max-agents)")
        progress(f"step {step.agents}x{step.rate:g}: connecting agents")
        failures = self.pool.resize(agents)
        notes = []
        if failures:
            notes.append(f"{len(failures)} agents failed to connect")
            progress(f"  agents that did not connect: {failures[:3]}")
        progress("  settling")
        settled = asyncio.run(self.quiet(time.monotonic() + self.args.settle))
        if not settled:
            notes.append(f"started unsettled ({self.pending()} pending)")
        progress(f"  {self.args.seconds:g} s of inbound")
        result = asyncio.run(self.window(step))
        records = self.pool.collect()
        self.report(step, agents, result, records, notes)

    def report(
        self,
        step: Step,
        agents: list[dict[str, Any]],
        result: dict[str, Any],
        records: dict[int, dict[str, Any]],
        notes: list[str],
    ) -> None:
        posts: list[Post] = result["posts"]
        found = self.correlate(posts)
        owners = {e["id"]: set(e["teams"]) for e in self.meta["endpoints"]}
        # Row visible: the earliest sighting of this message's token, or of any later
        # message's token in the same conversation (its row then shows something newer).
        by_conversation: dict[int, list[Post]] = {}
        for post in posts:
            if post.token in found:
                by_conversation.setdefault(found[post.token]["conversation"], []).append(post)
        event_samples: list[float] = []
        visible_samples: list[float] = []
        unprocessed = 0
        for post in posts:
            if not post.started:
                continue
            facts = found.get(post.token)
            if facts is None:
                if not post.accepted:
                    continue  # refused: counted as a failed post
                unprocessed += 1
                teams = owners[post.endpoint]
                for agent in agents:
                    if agent["supervisor"] or teams & set(agent["teams"]):
                        event_samples.append(math.inf)
                        visible_samples.append(math.inf)
                continue
            teams = owners[facts["endpoint"]] | ({facts["team"]} if facts["team"] else set())
            conversation = facts["conversation"]
            later = [p.token for p in by_conversation[conversation] if p.started >= post.started]
            for agent in agents:
                mine = teams & set(agent["teams"])
                if not (agent["supervisor"] or mine or facts["assignee"] == agent["id"]):
                    continue
                record = records.get(agent["id"])
                if record is None:
                    continue
                arrivals = record["events"].get(conversation, [])
                index = bisect.bisect_left(arrivals, post.started)
                event_samples.append(
                    arrivals[index] - post.started if index < len(arrivals) else math.inf
                )
                in_view = facts["status"] == "open" and (
                    agent["view"] == "all" or (agent["view"] == "teams" and mine)
                )
                if in_view:
                    sightings = [record["tokens"][t] for t in later if t in record["tokens"]]
                    visible_samples.append(min(sightings) - post.started if sightings else math.inf)
        accepted = sum(1 for post in posts if post.accepted)
        failed = len(posts) - accepted
        statements = result["statements"]
        web_q = statements.get(WEB_ROLE, 0)
        worker_q = statements.get(WORKER_ROLE, 0)
        per_message = f"{(web_q + worker_q) / accepted:.0f}" if accepted else "-"
        split = f"({web_q / accepted:.0f}+{worker_q / accepted:.0f})" if accepted else ""
        elapsed = result["elapsed"]
        cpu = {key: value / elapsed * 100 for key, value in result["cpu"].items()}
        # Everything else on the machine (other people's tests...): figures to distrust.
        cpu["other"] = max(0.0, cpu.pop("machine") - sum(cpu.values()))
        if result["quiet"]:
            after = f"+{result['drained_after']:.0f} s"
            backlog = f"{result['pending_at_end']} pending, drained {after}"
            if result["pending_at_end"] == 0:
                backlog = f"0 pending, idle {after}"
        else:
            backlog = f"{result['pending_at_end']} pending, COLLAPSED (+{self.args.tail:.0f} s)"
        lost = [s for s in event_samples if math.isinf(s)]
        if lost:
            notes.append(f"{len(lost) / len(event_samples):.1%} events undelivered at the cut")
        lost_rows = [s for s in visible_samples if math.isinf(s)]
        if lost_rows:
            notes.append(f"{len(lost_rows) / len(visible_samples):.1%} rows unshown at the cut")
        if unprocessed:
            notes.append(f"{unprocessed} messages unprocessed")
        totals = {key: 0 for key in ("gaps", "resyncs", "reconnects", "reloads", "failed_requests")}
        for record in records.values():
            for key in totals:
                totals[key] += record[key]
        for key, value in totals.items():
            if value:
                notes.append(f"{value} {key.replace('_', ' ')}")
        unapplied = sum(record["unapplied"] for record in records.values())
        if unapplied:
            notes.append(f"{unapplied} events fetched for (no html)")
        if result["dealloc"]:
            notes.append("pg_stat_statements overflowed: q/msg is low")
        if self.args.verbose:
            kinds: dict[str, int] = {}
            for record in records.values():
                for kind, count in record["kinds"].items():
                    kinds[kind] = kinds.get(kind, 0) + count
            notes.append(
                f"[{len(found)} of {len(posts)} messages found, {len(event_samples)} event and "
                f"{len(visible_samples)} row samples, requests {kinds}]"
            )
        protocols = "/".join(str(p) for p in result["protocols"])
        print(
            f"{step.agents:>6} {step.rate:>5g}  {pair(event_samples):>19}  "
            f"{pair(visible_samples):>19}  {f'{failed} of {len(posts)}':>12}  "
            f"{pair([p.elapsed for p in posts if p.started]):>19}  "
            f"{result['requests'] / elapsed:>6.1f}  {per_message:>5} {split:<11}  "
            f"{result['sessions']:>9}/{result['peak_connections']:<4}  "
            f"{cpu['web']:>4.0f} {cpu['worker']:>4.0f} {cpu['db']:>4.0f} {cpu['bench']:>6.0f} "
            f"{cpu['other']:>6.0f}  "
            f"{'p' + protocols:>5}  {backlog:<34}  {'; '.join(notes)}",
            flush=True,
        )


def progress(text: str) -> None:
    print(f"[live] {text}", file=sys.stderr, flush=True)


def parse_steps(text: str) -> list[Step]:
    steps = []
    for item in text.split(","):
        agents, _, rate = item.strip().partition("x")
        steps.append(Step(agents=int(agents), rate=float(rate)))
    return steps


def orchestrate(args: argparse.Namespace) -> None:
    raise_file_limit()
    app_root = Path(args.app_root).resolve()
    main_tree = app_root == ROOT
    database = args.database or (
        "omnidesk_bench_live" if main_tree else "omnidesk_bench_live_before"
    )
    prefix = args.redis_prefix or ("bench-live" if main_tree else "bench-live-before")
    logs = Path(args.logs)
    logs.mkdir(parents=True, exist_ok=True)
    pg = Postgres(Path(args.pgdata), args.pg_port)
    config = Config(
        app_root=app_root,
        database=database,
        prefix=prefix,
        redis_url=f"redis://127.0.0.1:6379/{args.redis_db}",
        pg=pg,
        logs=logs,
    )
    steps = parse_steps(args.steps)
    max_agents = max(max(step.agents for step in steps), args.max_agents)
    bench: Bench | None = None

    def stop_on_sigterm(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_sigterm)
    try:
        progress(f"starting PostgreSQL ({args.pgdata}, port {args.pg_port})")
        pg.start()
        desk = f"{args.conversations}x{args.messages_per_conversation}+{args.long_conversation}"
        kept = prepare_database(pg, database, desk, args.reuse)
        clear_redis(config.redis_url, prefix)
        progress(("reusing the desk" if kept else "seeding the desk") + f" in {database}")
        setup_out = logs / f"{database}-setup.json"
        setup = subprocess.run(
            [
                sys.executable, str(BENCH_DIR / "live.py"), "--role", "setup",
                "--app-root", str(app_root), "--setup-out", str(setup_out),
                "--conversations", str(args.conversations),
                "--messages-per-conversation", str(args.messages_per_conversation),
                "--long-conversation", str(args.long_conversation),
                "--max-agents", str(max_agents),
            ],
            cwd=app_root, env=config.env("postgres"), check=False,
        )  # fmt: skip
        if setup.returncode != 0:
            raise SystemExit("setup failed")
        meta = json.loads(setup_out.read_text())
        bench = Bench(args, config, meta)
        bench.start_servers()
        asyncio.run(bench.warm_up())
        floor = redis_floor(config.redis_url, f"{prefix}:floor", args.floor_samples)
        print(
            f"bench/live.py: app {app_root} ({git_describe(app_root)}), database {database}, "
            f"desk {meta['conversations']:,} conversations / {meta['messages']:,} messages, "
            f"{TEAMS} teams, a supervisor every {SUPERVISOR_EVERY} agents, "
            f"{args.seconds:g} s per step, tail cap {args.tail:g} s"
        )
        print(f"logs: {logs}/{database}-{{web,worker}}.log, {args.pgdata}/server.log")
        print(
            f"floor: raw Redis PUBLISH -> subscriber round trip p50 / p99: {pair(floor)} "
            f"({len(floor)} round trips)"
        )
        print()
        print(
            f"{'agents':>6} {'msg/s':>5}  {'event p50 / p99':>19}  {'visible p50 / p99':>19}  "
            f"{'failed posts':>12}  {'inbound p50 / p99':>19}  {'req/s':>6}  "
            f"{'q/msg (web+wkr)':<17}  {'conns new/peak':>14}  {'web%':>4} {'wkr%':>4} "
            f"{'db%':>4} {'bench%':>6} {'other%':>6}  {'proto':>5}  {'backlog':<34}  notes"
        )
        bench.pool = AgentPool(args.agent_processes, bench.base, bench.token_pattern)
        for step in steps:
            bench.run_step(step)
    except KeyboardInterrupt:
        progress("interrupted")
    finally:
        progress("stopping")
        if bench is not None:
            if bench.pool is not None:
                bench.pool.stop()
            with contextlib.suppress(Exception):
                bench.db.close()
        for process in reversed(config.processes):
            stop_process(process)
        pg.stop()


def clear_redis(redis_url: str, prefix: str) -> None:
    """Forget what a previous run of this benchmark left under its own prefix (channel
    groups of dead sockets, queued tasks, cached sessions)."""
    import redis

    connection = redis.Redis.from_url(redis_url)
    for pattern in (f"{prefix}:*", f"*{prefix}:celery:*"):
        keys = list(connection.scan_iter(match=pattern, count=1000))
        for start in range(0, len(keys), 1000):
            connection.delete(*keys[start : start + 1000])
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--steps", default=DEFAULT_STEPS, help="agents x messages/s, comma-separated")
    add("--seconds", type=float, default=60.0, help="of inbound per step")
    add("--tail", type=float, default=60.0, help="the most a step waits after its inbound")
    add("--settle", type=float, default=120.0, help="the most a step waits to start idle")
    add("--conversations", type=int, default=20_000)
    add("--messages-per-conversation", type=int, default=7)
    add("--long-conversation", type=int, default=10_000, help="messages of one old thread")
    add("--reuse", action="store_true", help="keep the desk of a previous run")
    add("--app-root", default=str(ROOT), help="the checkout the server and worker run")
    add("--database", default="", help="default: omnidesk_bench_live(_before)")
    add("--redis-db", type=int, default=9)
    add("--redis-prefix", default="", help="default: bench-live(-before)")
    add("--pgdata", default="/tmp/omnidesk-bench-live-pg")
    add("--pg-port", type=int, default=55432)
    add("--logs", default="/tmp/omnidesk-bench-live-logs")
    add("--agent-processes", type=int, default=1)
    add("--max-agents", type=int, default=0, help="agents to set up (default: the steps')")
    add("--floor-samples", type=int, default=1000)
    add("--verbose", action="store_true", help="sample counts and requests by kind per step")
    add("--role", default="bench", help=argparse.SUPPRESS)
    add("--setup-out", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "setup":
        run_setup(args)
    else:
        orchestrate(args)


if __name__ == "__main__":
    main()
