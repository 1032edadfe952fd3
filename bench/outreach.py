"""Outreach benchmark: a bulk notification of N customers (default 10,000) by SMS, and
outgoing webhook deliveries against a real local HTTP receiver.

    .venv/bin/python bench/outreach.py --customers 10000 --webhooks 2000

1. Bulk send: `create_bulk_send` accepts it, then `process_bulk_batch` (a batch per
   transaction, as the `send_bulk_batch` chain runs it) chooses each customer's channel
   (consent, proof, window) and reserves their slot on the channel's pace; then the
   sweep (`send_due_notifications`, as the periodic task runs it) turns every due
   notification into a queued message on the customer's timeline (a new conversation
   each). The channel's rate is raised so
   every slot is due at once: the figure is the desk's own cost per notification, not
   the carrier's pace. Deliveries are enqueued to the in-memory broker, not sent.
2. Webhooks: a subscription to `message.created` on a ThreadingHTTPServer on loopback;
   the deliveries the bulk send made are sent with `webhooks.services.deliver` (signing,
   the HTTP POST, the attempt log), one after another and then from W worker threads.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omnidesk_bench_outreach")
os.environ["DJANGO_SETTINGS_MODULE"] = "omnidesk.settings"
os.environ.setdefault("DJANGO_DEBUG", "1")
# The receiver is on loopback, which a desk refuses unless listed.
os.environ.setdefault("OMNIDESK_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"  # enqueue to the in-memory broker only
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("LOG_LEVEL", "ERROR")


class Receiver(BaseHTTPRequestHandler):
    received = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with Receiver.lock:
            Receiver.received += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--webhooks", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    from ingest import ensure_database

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import close_old_connections
    from django.utils import timezone

    from channels_app.models import ChannelEndpoint
    from conversations.models import Message
    from customers.identities import Proof
    from customers.models import Customer, Identity
    from outreach import services
    from outreach.models import Notification
    from tests.factories import TeamFactory
    from webhooks import services as webhook_services
    from webhooks.models import WebhookDelivery

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    receiver_url = f"http://127.0.0.1:{server.server_address[1]}/hooks"

    endpoint = ChannelEndpoint.objects.create(
        kind="sms",
        name="Notifications line",
        config={"notifications_per_second": 1_000_000},
        credentials={
            "account_sid": "AC0123456789abcdef0123456789abcdef",
            "auth_token": "12345678901234567890123456789012",
            "phone_number": "+14155550100",
        },
    )
    TeamFactory(name="Phone", endpoints=[endpoint])
    webhook_services.create_subscription(
        url=receiver_url, events=["message.created"], description="bench", created_by=None
    )

    n = args.customers
    started = time.perf_counter()
    customers = Customer.objects.bulk_create(
        [Customer(name=f"Customer {i}") for i in range(n)], batch_size=2000
    )
    Identity.objects.bulk_create(
        [
            Identity(customer=c, kind="phone", value=f"+1415{i:07d}", proof=Proof.PROVIDER)
            for i, c in enumerate(customers)
        ],
        batch_size=2000,
    )
    print(
        f"setup: {n} customers with proven phone numbers in {time.perf_counter() - started:.1f} s"
    )

    started = time.perf_counter()
    bulk = services.create_bulk_send(
        customer_ids=[c.pk for c in customers], text="Our service is back to normal."
    )
    accepting = time.perf_counter() - started
    # What the send_bulk_batch chain does on a worker, a batch per transaction.
    batches = 1
    while services.process_bulk_batch(bulk_id=bulk.pk):
        batches += 1
    scheduling = time.perf_counter() - started
    print(f"bulk send accepted in {accepting * 1000:.0f} ms; routed in {batches} batches")
    scheduled = Notification.objects.filter(bulk=bulk, status="scheduled").count()
    print(
        f"bulk send: {scheduled} notifications routed and paced in {scheduling:.1f} s "
        f"({scheduled / scheduling:,.0f}/s)"
    )

    started = time.perf_counter()
    handled = services.send_due_notifications(now=timezone.now() + timedelta(minutes=1))
    queueing = time.perf_counter() - started
    queued = Message.objects.filter(
        direction=Message.Direction.OUTBOUND, delivery_status=Message.DeliveryStatus.QUEUED
    ).count()
    print(
        f"sweep: {handled} notifications -> {queued} messages queued on timelines in "
        f"{queueing:.1f} s ({queued / queueing:,.0f} messages/s)"
    )
    total = scheduling + queueing
    print(f"end to end: {queued} messages queued in {total:.1f} s ({queued / total:,.0f}/s)")

    deliveries = list(
        WebhookDelivery.objects.order_by("pk").values_list("pk", flat=True)[: 2 * args.webhooks]
    )
    print(f"webhook deliveries waiting: {WebhookDelivery.objects.count()} (message.created)")
    sequential, parallel = deliveries[: args.webhooks], deliveries[args.webhooks :]
    started = time.perf_counter()
    for delivery_id in sequential:
        webhook_services.deliver(delivery_id=delivery_id)
    elapsed = time.perf_counter() - started
    print(
        f"webhooks, one worker: {len(sequential)} signed deliveries in {elapsed:.1f} s "
        f"({len(sequential) / elapsed:,.0f}/s)"
    )

    def deliver(delivery_id: int) -> None:
        try:
            webhook_services.deliver(delivery_id=delivery_id)
        finally:
            close_old_connections()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        list(pool.map(deliver, parallel))
    elapsed = time.perf_counter() - started
    print(
        f"webhooks, {args.workers} worker threads: {len(parallel)} deliveries in "
        f"{elapsed:.1f} s ({len(parallel) / elapsed:,.0f}/s)"
    )
    delivered = WebhookDelivery.objects.filter(status="succeeded").count()
    print(f"receiver got {Receiver.received} requests; {delivered} deliveries marked succeeded")
    server.shutdown()


if __name__ == "__main__":
    main()
