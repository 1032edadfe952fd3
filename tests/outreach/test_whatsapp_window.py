"""WhatsApp notifications: free text inside the 24-hour window; outside it only an
approved template (or another channel that can carry the text)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.models import Message
from outreach import services
from outreach.models import Notification, NotificationTemplate
from tests.channels_app.conftest import post_meta
from tests.outreach.conftest import (
    DANA_PHONE,
    answer_twilio,
    answer_whatsapp,
    fixture_json,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped_template(db) -> NotificationTemplate:
    return NotificationTemplate.objects.create(
        key="order_shipped",
        locale="en",
        body="Hi {{ customer_name }}, order {{ order }} has shipped.",
        whatsapp_template_name="order_update",
        whatsapp_language="en_US",
        whatsapp_parameters=["order"],
        approved=True,
    )


def _customer_wrote_on_whatsapp(client, whatsapp_endpoint, capture, *, hours_ago: float):
    with capture(execute=True):
        post_meta(client, whatsapp_endpoint, fixture_json("meta", "whatsapp_text.json"))
    Message.objects.update(created_at=timezone.now() - timedelta(hours=hours_ago))
    return Message.objects.get().conversation.customer


def test_inside_the_window_free_text_goes_as_text(
    client, whatsapp_endpoint, fake_provider, django_capture_on_commit_callbacks
):
    answer_whatsapp(fake_provider)
    customer = _customer_wrote_on_whatsapp(
        client, whatsapp_endpoint, django_capture_on_commit_callbacks, hours_ago=2
    )
    with django_capture_on_commit_callbacks(execute=True):
        notification = services.create_notification(customer=customer, text="We fixed it.")
    assert notification.status == Notification.Status.QUEUED
    [request] = fake_provider.requests
    body = request.json()
    assert body["type"] == "text"
    assert body["to"] == "14155552671"
    assert body["text"]["body"] == "We fixed it."


def test_outside_the_window_an_approved_template_goes_with_its_parameters(
    client, whatsapp_endpoint, fake_provider, shipped_template, django_capture_on_commit_callbacks
):
    answer_whatsapp(fake_provider)
    customer = _customer_wrote_on_whatsapp(
        client, whatsapp_endpoint, django_capture_on_commit_callbacks, hours_ago=30
    )
    with django_capture_on_commit_callbacks(execute=True):
        notification = services.create_notification(
            customer=customer, template_key="order_shipped", variables={"order": "1042"}
        )
    assert notification.status == Notification.Status.QUEUED
    assert notification.text == "Hi Dana Scully, order 1042 has shipped."
    [request] = fake_provider.requests
    body = request.json()
    assert body["type"] == "template"
    assert body["template"] == {
        "name": "order_update",
        "language": {"code": "en_US"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "1042"}]}],
    }
    notification.message.refresh_from_db()
    assert notification.message.delivery_status == Message.DeliveryStatus.SENT
    # The timeline shows the text the template stands for.
    assert notification.message.text == "Hi Dana Scully, order 1042 has shipped."


def test_outside_the_window_free_text_is_skipped_with_the_reason(
    client, whatsapp_endpoint, fake_provider, django_capture_on_commit_callbacks
):
    customer = _customer_wrote_on_whatsapp(
        client, whatsapp_endpoint, django_capture_on_commit_callbacks, hours_ago=30
    )
    notification = services.create_notification(customer=customer, text="Are you there?")
    assert notification.status == Notification.Status.SKIPPED
    assert notification.skip_reason == Notification.SkipReason.NEEDS_TEMPLATE
    assert "window" in notification.detail
    assert fake_provider.requests == []
    assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()


def test_an_unapproved_template_does_not_leave_the_window(
    client, whatsapp_endpoint, fake_provider, shipped_template, django_capture_on_commit_callbacks
):
    shipped_template.approved = False
    shipped_template.save()
    customer = _customer_wrote_on_whatsapp(
        client, whatsapp_endpoint, django_capture_on_commit_callbacks, hours_ago=30
    )
    notification = services.create_notification(
        customer=customer, template_key="order_shipped", variables={"order": "1042"}
    )
    assert notification.skip_reason == Notification.SkipReason.NEEDS_TEMPLATE
    assert fake_provider.requests == []


def test_outside_the_window_the_text_goes_by_sms_on_the_same_number_instead(
    client,
    whatsapp_endpoint,
    twilio_endpoint,
    fake_provider,
    django_capture_on_commit_callbacks,
):
    answer_twilio(fake_provider)
    customer = _customer_wrote_on_whatsapp(
        client, whatsapp_endpoint, django_capture_on_commit_callbacks, hours_ago=30
    )
    assert customer.identities.get().value == DANA_PHONE
    with django_capture_on_commit_callbacks(execute=True):
        notification = services.create_notification(customer=customer, text="Are you there?")
    assert notification.status == Notification.Status.QUEUED
    assert notification.endpoint == twilio_endpoint
    [request] = fake_provider.requests
    assert request.form()["To"] == [DANA_PHONE]


def test_the_whatsapp_channel_asked_for_is_the_only_one_tried(
    client,
    whatsapp_endpoint,
    twilio_endpoint,
    fake_provider,
    django_capture_on_commit_callbacks,
):
    customer = _customer_wrote_on_whatsapp(
        client, whatsapp_endpoint, django_capture_on_commit_callbacks, hours_ago=30
    )
    notification = services.create_notification(
        customer=customer, text="Are you there?", channel=whatsapp_endpoint.key
    )
    assert notification.skip_reason == Notification.SkipReason.NEEDS_TEMPLATE
    assert fake_provider.requests == []
