"""A bulk send is accepted at once and routed a batch per transaction: each batch commits
its notifications, its channel slots and the bulk's progress together, so a batch that
fails leaves the earlier ones in place and a resumed send notifies nobody twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from customers.models import Customer
from outreach import services
from outreach.models import BulkSend, ChannelOptOut, ChannelPace, Notification
from tests.outreach.conftest import customer_with

pytestmark = pytest.mark.django_db(transaction=True)


def later() -> str:
    # Slots an hour ahead: the batches are the subject here, not the sending.
    return (timezone.now() + timedelta(hours=1)).isoformat()


def inserting_transactions(bulk: BulkSend) -> int:
    """How many transactions wrote the bulk's notifications (PostgreSQL's xmin)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(DISTINCT xmin::text) FROM outreach_notification WHERE bulk_id = %s",
            [bulk.pk],
        )
        return cursor.fetchone()[0]


def test_a_bulk_send_is_accepted_then_routed_a_batch_per_transaction(
    supervisor_api, twilio_endpoint, settings
):
    settings.OMNIDESK_OUTREACH_BULK_BATCH = 3
    customers = [customer_with(phone=f"+1415555{n:04d}") for n in range(10)]
    ChannelOptOut.objects.create(
        identity=customers[4].identities.get(), channel_kind="sms", source="keyword"
    )
    response = supervisor_api.post(
        "/api/v1/notifications/bulk/",
        {
            "customers": [str(c.pk) for c in customers] + ["nobody@example.com"],
            "text": "Service update",
            "send_at": later(),
        },
        format="json",
    )
    assert response.status_code == 202, response.json()
    accepted = response.json()
    assert accepted["status"] == "queued"
    assert (accepted["total"], accepted["processed"]) == (10, 0)
    assert accepted["unmatched"] == ["nobody@example.com"]

    # Tasks run eagerly here: the batch chain ran after the answer's commit.
    progress = supervisor_api.get(f"/api/v1/notifications/bulk/{accepted['id']}/")
    assert progress.status_code == 200
    body = progress.json()
    assert body["status"] == "done" and body["finished_at"]
    assert (body["total"], body["processed"], body["scheduled"], body["skipped"]) == (
        10,
        10,
        9,
        1,
    )
    bulk = BulkSend.objects.get(pk=accepted["id"])
    assert bulk.next_offset == 10
    assert Notification.objects.filter(bulk=bulk).count() == 10
    assert Notification.objects.get(bulk=bulk, status="skipped").customer_id == customers[4].pk
    # Ten recipients three at a time: four transactions.
    assert inserting_transactions(bulk) == 4
    # The pace advanced once per scheduled SMS (one a second), across batches.
    slots = sorted(
        Notification.objects.filter(bulk=bulk, status="scheduled").values_list("send_at", flat=True)
    )
    assert slots[-1] - slots[0] == timedelta(seconds=8)
    assert ChannelPace.objects.get(endpoint=twilio_endpoint).next_free_at == slots[-1] + (
        timedelta(seconds=1)
    )
    assert supervisor_api.get("/api/v1/notifications/bulk/999999/").status_code == 404


def test_a_failed_batch_rolls_back_alone_and_the_resumed_send_notifies_nobody_twice(
    supervisor_api, twilio_endpoint, settings
):
    settings.OMNIDESK_OUTREACH_BULK_BATCH = 3
    customers = [customer_with(phone=f"+1415555{n:04d}") for n in range(8)]
    refused = customers[4]  # in the second batch
    # The database refuses that recipient's notification: a real failure mid-batch.
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE FUNCTION refuse_one_notification() RETURNS trigger AS $$
            BEGIN
                IF NEW.customer_id = {int(refused.pk)} THEN
                    RAISE EXCEPTION 'refused for the test';
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER refuse_one_notification BEFORE INSERT ON outreach_notification
                FOR EACH ROW EXECUTE FUNCTION refuse_one_notification();
            """
        )
    try:
        response = supervisor_api.post(
            "/api/v1/notifications/bulk/",
            {"customers": [str(c.pk) for c in customers], "text": "Hi", "send_at": later()},
            format="json",
        )
        assert response.status_code == 202, response.json()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "DROP TRIGGER refuse_one_notification ON outreach_notification;"
                "DROP FUNCTION refuse_one_notification();"
            )
    bulk = BulkSend.objects.get(pk=response.json()["id"])
    # The first batch stands; the second left nothing behind, its slots included.
    assert (bulk.status, bulk.next_offset, bulk.processed, bulk.scheduled) == (
        "sending",
        3,
        3,
        3,
    )
    first = list(Notification.objects.filter(bulk=bulk).order_by("send_at"))
    assert [n.customer_id for n in first] == [c.pk for c in customers[:3]]
    pace = ChannelPace.objects.get(endpoint=twilio_endpoint)
    assert pace.next_free_at == first[-1].send_at + timedelta(seconds=1)

    # A recipient of the third batch is deleted before it runs.
    Customer.objects.filter(pk=customers[7].pk).delete()
    # The periodic sweep finds the send stalled and resumes it where it stopped.
    handled = services.send_due_outreach(now=timezone.now() + timedelta(minutes=11))
    assert handled["stalled_bulk_sends"] == 1

    bulk.refresh_from_db()
    assert bulk.status == "done"
    assert (bulk.processed, bulk.scheduled, bulk.skipped, bulk.missing) == (8, 7, 0, 1)
    served = list(Notification.objects.filter(bulk=bulk).values_list("customer_id", flat=True))
    assert sorted(served) == sorted(c.pk for c in customers[:7])
    assert inserting_transactions(bulk) == 3
    # Running a finished send again changes nothing.
    assert services.process_bulk_batch(bulk_id=bulk.pk) is False
    assert Notification.objects.filter(bulk=bulk).count() == 7


def test_two_workers_on_one_bulk_send_take_its_batches_in_turn(twilio_endpoint):
    customers = [customer_with(phone=f"+1415555{n:04d}") for n in range(8)]
    # Stored as the API accepts it, with no task chain started.
    bulk = BulkSend.objects.create(
        text="Hi",
        send_at=timezone.now() + timedelta(hours=1),
        recipient_ids=[c.pk for c in customers],
        total=8,
    )
    start = threading.Barrier(2)
    outcomes: list[bool | BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            outcomes.append(services.process_bulk_batch(bulk_id=bulk.pk, size=4))
        except BaseException as exc:  # reported by the assertion below
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes, key=str) == [False, True], outcomes
    bulk.refresh_from_db()
    assert (bulk.status, bulk.processed, bulk.scheduled) == ("done", 8, 8)
    served = list(Notification.objects.filter(bulk=bulk).values_list("customer_id", flat=True))
    assert sorted(served) == sorted(c.pk for c in customers)


def test_the_database_refuses_a_second_notification_of_one_bulk_to_one_customer(db):
    customer = customer_with(phone="+14155550001")
    bulk = BulkSend.objects.create(text="Hi", recipient_ids=[customer.pk], total=1)
    Notification.objects.create(customer=customer, bulk=bulk, text="Hi")
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(customer=customer, bulk=bulk, text="Hi")
    # Notifications outside bulk sends are not limited.
    Notification.objects.create(customer=customer, text="One")
    Notification.objects.create(customer=customer, text="Two")
