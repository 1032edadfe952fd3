"""Ingest benchmark: our full inbound pipeline against bare single-row INSERTs.

    make bench                      # 20,000 messages
    .venv/bin/python bench/ingest.py --messages 5000

Each message goes through `accept_inbound` (its own statement, as a webhook request
would, scheduling a drain task on commit) and then the queued tasks, run here by
`Task.apply` in this process, in the order a worker would receive them, so the figure is
the pipeline's own cost, not the broker's. A drain takes every waiting event in batches
of OMNIDESK_INBOUND_BATCH_SIZE, one transaction each; while a drain waits, accepting
more queues nothing more. Realtime events go to the in-process channel layer and
sequence counters to the local-memory cache (no Redis here).

Two shapes of traffic, both against the same baseline:
- burst: every message is accepted, then the worker drains the queue (a backlog, the
  case throughput matters for);
- one at a time: each message is processed as soon as it is accepted (an idle worker),
  on the first --one-at-a-time messages.

The baseline, in the same run and on the same PostgreSQL, inserts the same number of
rows with raw psycopg, one transaction each, once before and once after the pipeline
(their mean counts: the rate of fsync-bound commits drifts). The workload has many
customers and many continuing conversations: each customer writes several messages,
across the API, email and SMS endpoints, in interleaved order. Runs with production
settings (DEBUG off).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omnidesk_bench")
os.environ["DJANGO_SETTINGS_MODULE"] = "omnidesk.settings"
# Tasks go to the in-memory broker and are run below by hand, as a worker would run them.
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
os.environ.pop("REDIS_URL", None)  # realtime goes to the in-process channel layer
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["DJANGO_DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--messages-per-customer", type=int, default=4)
    parser.add_argument("--one-at-a-time", type=int, default=1000)
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)

    from agents.models import Team
    from channels_app.models import ChannelEndpoint
    from channels_app.types import InboundMessage
    from conversations.models import Conversation, Message

    endpoints = [
        ChannelEndpoint.objects.create(kind=kind, name=f"bench {kind}")
        for kind in ("api", "email", "sms")
    ]
    team = Team.objects.create(name="Bench team")
    team.endpoints.add(*endpoints)

    def inbound_for(i: int) -> tuple[ChannelEndpoint, InboundMessage]:
        customer = i // args.messages_per_customer
        endpoint = endpoints[i % 3]
        identities = {
            "api": {
                "email": f"c{customer}@bench.example",
                "phone": f"+1415{5550000 + customer:07d}"[:12],
            },
            "email": {"email": f"c{customer}@bench.example"},
            "sms": {"phone": f"+1415{5550000 + customer:07d}"[:12]},
        }[endpoint.kind]
        return endpoint, InboundMessage(
            provider_id=f"bench-{i}",
            identities=identities,
            sender_name=f"Customer {customer}",
            text=f"Message {i} from customer {customer}: where is my order?",
        )

    # Customers write in interleaved order, as real traffic does.
    order = sorted(range(args.messages), key=lambda i: (i % args.messages_per_customer, i))
    workload = [inbound_for(i) for i in order]

    worker = Worker()
    # The baseline runs before and after the pipeline and counts as their mean: its
    # rate swings with the disk's fsync latency, and this cancels slow drift.
    baseline_before = raw_inserts(os.environ["DATABASE_URL"], args.messages)
    burst_seconds = run_burst(workload, worker)
    processed = Message.objects.count()
    assert processed == args.messages, f"expected {args.messages} messages, found {processed}"
    conversations = Conversation.objects.count()

    # One at a time: new customers again (a new prefix), each message processed at once.
    trickle = [
        (
            endpoint,
            replace(
                message,
                provider_id=f"one-{message.provider_id}",
                identities={
                    kind: value.replace("@bench", "@one")
                    if kind == "email"
                    else "+1628" + value[5:]
                    for kind, value in message.identities.items()
                },
            ),
        )
        for endpoint, message in workload[: args.one_at_a_time]
    ]
    trickle_seconds = run_one_at_a_time(trickle, worker)
    assert Message.objects.count() == args.messages + len(trickle)

    baseline_after = raw_inserts(os.environ["DATABASE_URL"], args.messages)
    baseline_seconds = (baseline_before + baseline_after) / 2

    burst_rate = args.messages / burst_seconds
    trickle_rate = len(trickle) / trickle_seconds
    baseline_rate = args.messages / baseline_seconds
    print(f"messages:               {args.messages:,} ({conversations:,} conversations)")
    print(
        f"raw single-row INSERTs: {baseline_rate:,.0f} rows/s      (mean of {baseline_before:.1f} s"
        f" before and {baseline_after:.1f} s after)"
    )
    print(f"pipeline, burst:        {burst_rate:,.0f} messages/s  ({burst_seconds:.1f} s)")
    print(f"ratio (burst / raw):    {burst_rate / baseline_rate:.2f}   (goal >= 0.30)")
    print(
        f"pipeline, one at a time: {trickle_rate:,.0f} messages/s over {len(trickle):,}"
        f"  (ratio {trickle_rate / baseline_rate:.2f})"
    )


class Worker:
    """Runs the tasks the pipeline queues, in the order it queues them, here in this
    process: what a worker would run, without timing the broker."""

    def __init__(self) -> None:
        from celery.signals import after_task_publish

        self.queued: list[tuple[str, list, dict]] = []
        after_task_publish.connect(self._record, weak=False)

    def _record(self, sender: str, body: tuple, **_: object) -> None:
        args, kwargs, _embed = body
        self.queued.append((sender, list(args), dict(kwargs)))

    def run_queued(self) -> int:
        from celery import current_app

        ran = 0
        while self.queued:
            name, args, kwargs = self.queued.pop(0)
            current_app.tasks[name].apply(args=args, kwargs=kwargs)
            ran += 1
        return ran


def run_burst(workload: list, worker: Worker) -> float:
    """Accept every message, then let the worker run what was queued; seconds for both."""
    from intake.services import accept_inbound

    started = time.perf_counter()
    for endpoint, message in workload:
        accept_inbound(endpoint=endpoint, messages=[message], raw={"id": message.provider_id})
    accepted_at = time.perf_counter()
    tasks = worker.run_queued()
    finished = time.perf_counter()
    accepting, processing = accepted_at - started, finished - accepted_at
    print(f"  burst: accepting {accepting:.1f} s, processing {processing:.1f} s ({tasks} tasks)")
    return finished - started


def run_one_at_a_time(workload: list, worker: Worker) -> float:
    from intake.services import accept_inbound

    started = time.perf_counter()
    for endpoint, message in workload:
        accept_inbound(endpoint=endpoint, messages=[message], raw={"id": message.provider_id})
        worker.run_queued()
    return time.perf_counter() - started


def raw_inserts(url: str, count: int) -> float:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_raw_message")
        conn.execute(
            "CREATE TABLE bench_raw_message (id bigserial PRIMARY KEY, provider_id text NOT NULL,"
            " sender text NOT NULL, body text NOT NULL,"
            " created_at timestamptz NOT NULL DEFAULT now())"
        )
        started = time.perf_counter()
        for i in range(count):
            with conn.transaction():
                conn.execute(
                    "INSERT INTO bench_raw_message (provider_id, sender, body) VALUES (%s, %s, %s)",
                    [f"raw-{i}", f"c{i // 4}@bench.example", f"Message {i}: where is my order?"],
                )
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE bench_raw_message")
    return elapsed


if __name__ == "__main__":
    main()
