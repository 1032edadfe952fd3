"""Bulk notifications from a CSV or a customer filter: each channel paced at its rate,
customers nobody can reach recorded as skipped, rows matching nobody reported."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from outreach import services
from outreach.models import ChannelOptOut, Notification
from tests.outreach.conftest import answer_twilio, customer_with

pytestmark = pytest.mark.django_db


def test_a_csv_of_ids_emails_and_phones_is_paced_per_channel_then_sent(
    supervisor_api,
    twilio_endpoint,
    email_endpoint,
    smtp_server,
    fake_provider,
    django_capture_on_commit_callbacks,
):
    answer_twilio(fake_provider)
    twilio_endpoint.config = {"notifications_per_second": 2}
    twilio_endpoint.save()
    by_phone = [customer_with(phone=f"+1415555{n:04d}") for n in range(3)]
    customer_with(email="eve@example.com")
    by_id = customer_with(phone="+14155559999")
    opted_out = customer_with(phone="+14155558888")
    ChannelOptOut.objects.create(
        identity=opted_out.identities.get(), channel_kind="sms", source="keyword"
    )
    csv = "customer\n" + "\n".join(
        [
            *(c.identities.get().value for c in by_phone),
            "EVE@example.com",
            str(by_id.pk),
            "+14155558888",
            "nobody@example.com",
        ]
    )
    started = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        response = supervisor_api.post(
            "/api/v1/notifications/bulk/",
            {"file": SimpleUploadedFile("list.csv", csv.encode()), "text": "Service update"},
            format="multipart",
        )
    assert response.status_code == 202, response.json()
    body = supervisor_api.get(f"/api/v1/notifications/bulk/{response.json()['id']}/").json()
    assert body["status"] == "done"
    assert (body["total"], body["scheduled"], body["skipped"]) == (6, 5, 1)
    assert body["unmatched"] == ["nobody@example.com"]
    skipped = Notification.objects.get(status="skipped")
    assert (skipped.customer, skipped.skip_reason) == (opted_out, "opted_out")

    sms_slots = sorted(
        Notification.objects.filter(requested_endpoint=twilio_endpoint).values_list(
            "send_at", flat=True
        )
    )
    # Four SMS at 2 a second: half a second apart, the first at once.
    assert len(sms_slots) == 4
    assert all(b - a == timedelta(milliseconds=500) for a, b in itertools.pairwise(sms_slots))
    assert sms_slots[0] - started < timedelta(seconds=5)
    # The first of each channel went at once (the sweep after commit); the rest wait.
    assert len(fake_provider.requests) == 1
    assert len(smtp_server.received) == 1

    with django_capture_on_commit_callbacks(execute=True):
        services.send_due_outreach(now=sms_slots[-1])
    assert len(fake_provider.requests) == 4
    assert Notification.objects.filter(status="queued").count() == 5


def test_a_second_bulk_send_queues_behind_the_first_on_the_same_channel(
    twilio_endpoint, django_capture_on_commit_callbacks
):
    first = [customer_with(phone=f"+1415555{n:04d}").pk for n in range(3)]
    second = [customer_with(phone=f"+1415556{n:04d}").pk for n in range(2)]
    later = timezone.now() + timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.create_bulk_send(customer_ids=first, text="One", send_at=later)
    with django_capture_on_commit_callbacks(execute=True):
        services.create_bulk_send(customer_ids=second, text="Two", send_at=later)
    slots = list(Notification.objects.order_by("send_at").values_list("text", "send_at"))
    assert [text for text, _ in slots] == ["One"] * 3 + ["Two"] * 2
    # SMS default: one a second, shared by both sends.
    assert slots[-1][1] - slots[0][1] == timedelta(seconds=4)


def test_a_customer_filter_selects_the_recipients(
    supervisor_api, twilio_endpoint, django_capture_on_commit_callbacks
):
    tagged = customer_with(phone="+14155550001")
    tagged.tags = ["beta"]
    tagged.save()
    customer_with(phone="+14155550002")
    with django_capture_on_commit_callbacks(execute=True):
        response = supervisor_api.post(
            "/api/v1/notifications/bulk/",
            {
                "filter": {"tag": "beta"},
                "text": "The beta ends Friday",
                "send_at": (timezone.now() + timedelta(hours=1)).isoformat(),
            },
            format="json",
        )
    assert response.status_code == 202, response.json()
    assert response.json()["total"] == 1
    assert Notification.objects.get().customer == tagged


def test_bulk_input_errors_are_400s(supervisor_api):
    cases = [
        {"text": "Hi"},
        {"customers": ["1"], "filter": {"tag": "x"}, "text": "Hi"},
        {"filter": {"colour": "red"}, "text": "Hi"},
        {"customers": ["1"]},
    ]
    for body in cases:
        response = supervisor_api.post("/api/v1/notifications/bulk/", body, format="json")
        assert response.status_code == 400, (body, response.json())
    broken = supervisor_api.post(
        "/api/v1/notifications/bulk/",
        {"file": SimpleUploadedFile("x.csv", b"\x00\xff,\n\x00"), "text": "Hi"},
        format="multipart",
    )
    assert broken.status_code == 202
    assert broken.json()["total"] == 0
