"""The notifications REST API: supervisors send (201 now, 202 scheduled), list and read
notifications and manage templates; agents are refused; bad input is a 400."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from outreach import services
from outreach.models import Notification, NotificationTemplate
from tests.conftest import api_client_for
from tests.outreach.conftest import DANA_PHONE, answer_twilio, customer_with

pytestmark = pytest.mark.django_db


def test_a_supervisor_sends_now_and_schedules_for_later(
    supervisor_api, twilio_endpoint, fake_provider, django_capture_on_commit_callbacks
):
    answer_twilio(fake_provider)
    customer = customer_with(phone=DANA_PHONE)
    with django_capture_on_commit_callbacks(execute=True):
        now = supervisor_api.post(
            "/api/v1/notifications/",
            {"customer": customer.pk, "text": "Your order shipped."},
            format="json",
        )
    assert now.status_code == 201, now.json()
    body = now.json()
    assert (body["status"], body["channel"], body["channel_kind"]) == (
        "queued",
        twilio_endpoint.key,
        "sms",
    )
    assert body["conversation"] is not None
    assert len(fake_provider.requests) == 1

    later = supervisor_api.post(
        "/api/v1/notifications/",
        {
            "customer": customer.pk,
            "text": "Reminder: your appointment is tomorrow.",
            "channel": twilio_endpoint.key,
            "send_at": (timezone.now() + timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert later.status_code == 202
    assert later.json()["status"] == "scheduled"

    listed = supervisor_api.get(f"/api/v1/notifications/?customer={customer.pk}").json()
    assert [n["status"] for n in listed["results"]] == ["scheduled", "queued"]
    detail = supervisor_api.get(f"/api/v1/notifications/{body['id']}/")
    assert detail.json()["text"] == "Your order shipped."

    cancelled = supervisor_api.post(
        "/api/v1/notifications/",
        {
            "customer": customer.pk,
            "text": "Never mind.",
            "send_at": (timezone.now() + timedelta(days=1)).isoformat(),
        },
        format="json",
    ).json()
    assert (
        supervisor_api.delete(f"/api/v1/notifications/{cancelled['id']}/").json()["status"]
        == "cancelled"
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.send_due_outreach(now=timezone.now() + timedelta(days=1, seconds=1))
    assert Notification.objects.get(pk=later.json()["id"]).status == "queued"
    assert len(fake_provider.requests) == 2
    # Gone out: too late to cancel.
    assert supervisor_api.delete(f"/api/v1/notifications/{later.json()['id']}/").status_code == 409


def test_bad_input_is_a_400_naming_the_field(supervisor_api, twilio_endpoint):
    customer = customer_with(phone=DANA_PHONE)
    NotificationTemplate.objects.create(key="shipped", body="Order {{ order }} shipped")
    cases = [
        ({"customer": 999_999, "text": "Hi"}, "customer"),
        ({"customer": customer.pk}, "template"),
        ({"customer": customer.pk, "text": "Hi", "template": "shipped"}, "template"),
        ({"customer": customer.pk, "template": "nope"}, "template"),
        ({"customer": customer.pk, "template": "shipped"}, "variables"),
        ({"customer": customer.pk, "text": "Hi", "channel": "nope"}, "channel"),
        (
            {"customer": customer.pk, "text": "Hi", "send_at": "2999-01-01T00:00:00Z"},
            "send_at",
        ),
    ]
    for body, field in cases:
        response = supervisor_api.post("/api/v1/notifications/", body, format="json")
        assert response.status_code == 400, (body, response.status_code)
        assert field in response.json()["error"]["fields"], (body, response.json())
    assert not Notification.objects.exists()


def test_a_customer_with_only_a_claimed_identity_is_skipped_not_messaged(
    supervisor_api, email_endpoint, smtp_server
):
    from customers.identities import Proof
    from customers.models import Identity
    from tests.factories import CustomerFactory

    customer = CustomerFactory()
    Identity.objects.create(
        customer=customer, kind="email", value="claimed@example.com", proof=Proof.CLAIMED
    )
    response = supervisor_api.post(
        "/api/v1/notifications/", {"customer": customer.pk, "text": "Hi"}, format="json"
    )
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["skip_reason"]) == (
        "skipped",
        "no_channel",
    )
    assert smtp_server.received == []


def test_agents_may_not_send_notifications_or_edit_templates(agent):
    customer = customer_with(phone=DANA_PHONE)
    api = api_client_for(agent)
    assert (
        api.post(
            "/api/v1/notifications/", {"customer": customer.pk, "text": "Hi"}, format="json"
        ).status_code
        == 403
    )
    assert api.get("/api/v1/notifications/").status_code == 403
    assert api.get("/api/v1/notification-templates/").status_code == 403
    assert api.post("/api/v1/notifications/bulk/", {}, format="json").status_code == 403


def test_supervisors_manage_templates_per_key_and_locale(supervisor_api):
    created = supervisor_api.post(
        "/api/v1/notification-templates/",
        {"key": "shipped", "locale": "en", "body": "Order {{ order }} shipped"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    french = supervisor_api.post(
        "/api/v1/notification-templates/",
        {"key": "shipped", "locale": "fr", "body": "Commande {{ order }} expédiée"},
        format="json",
    )
    assert french.status_code == 201
    duplicate = supervisor_api.post(
        "/api/v1/notification-templates/",
        {"key": "shipped", "locale": "en", "body": "Again"},
        format="json",
    )
    assert duplicate.status_code == 400
    changed = supervisor_api.patch(
        f"/api/v1/notification-templates/{created.json()['id']}/",
        {"body": "Your order {{ order }} shipped"},
        format="json",
    )
    assert changed.status_code == 200
    keys = [
        (t["key"], t["locale"])
        for t in supervisor_api.get("/api/v1/notification-templates/").json()["results"]
    ]
    assert keys == [("shipped", "en"), ("shipped", "fr")]
    assert (
        supervisor_api.delete(f"/api/v1/notification-templates/{french.json()['id']}/").status_code
        == 204
    )


def test_the_customers_language_picks_the_template_locale(
    supervisor, twilio_endpoint, fake_provider, django_capture_on_commit_callbacks
):
    answer_twilio(fake_provider)
    NotificationTemplate.objects.create(
        key="shipped", locale="en", body="Order {{ order }} shipped"
    )
    NotificationTemplate.objects.create(
        key="shipped", locale="fr", body="Commande {{ order }} expédiée"
    )
    customer = customer_with(phone=DANA_PHONE)
    customer.language = "fr-CA"
    customer.save()
    with django_capture_on_commit_callbacks(execute=True):
        notification = services.create_notification(
            customer=customer, template_key="shipped", variables={"order": "7"}
        )
    assert notification.text == "Commande 7 expédiée"
    assert fake_provider.requests[0].form()["Body"] == ["Commande 7 expédiée"]
