"""Which channel a notification takes: the customer's preferred one, else the one they
wrote on most recently, else any inbox reaching a proven identity (Telegram here); a
merged customer's scheduled notification follows the identities to where they went."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations import services as conversation_services
from conversations.models import Message
from outreach import services
from outreach.models import Notification
from tests.channels_app.fake_providers import Reply
from tests.factories import EndpointFactory, TeamFactory
from tests.outreach.conftest import DANA_PHONE, answer_twilio, customer_with, fixture_json

pytestmark = pytest.mark.django_db

BOT_TOKEN = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


@pytest.fixture
def telegram(db):
    endpoint = EndpointFactory(
        kind="telegram", name="Support bot", credentials={"bot_token": BOT_TOKEN}
    )
    TeamFactory(endpoints=[endpoint])
    return endpoint


def test_a_customer_known_only_on_telegram_is_notified_there(
    telegram, fake_provider, django_capture_on_commit_callbacks
):
    fake_provider.on(
        "POST",
        rf"/bot{BOT_TOKEN}/sendMessage",
        Reply(200, fixture_json("telegram", "send_message_ok.json")),
    )
    customer = customer_with(telegram="123456789")
    with django_capture_on_commit_callbacks(execute=True):
        notification = services.create_notification(customer=customer, text="Your ticket is fixed.")
    assert (notification.status, notification.endpoint) == ("queued", telegram)
    [request] = fake_provider.requests
    assert request.json() == {"chat_id": "123456789", "text": "Your ticket is fixed."}
    notification.message.refresh_from_db()
    assert notification.message.delivery_status == Message.DeliveryStatus.SENT


def test_the_preferred_channel_wins_over_the_most_recent_one(
    twilio_endpoint, email_endpoint, smtp_server, fake_provider, django_capture_on_commit_callbacks
):
    answer_twilio(fake_provider)
    customer = customer_with(phone=DANA_PHONE, email="dana@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        first = services.create_notification(customer=customer, text="One")
    assert first.endpoint == twilio_endpoint  # the first inbox reaching her, by id

    customer.attributes = {"preferred_channel": "email"}
    customer.save()
    with django_capture_on_commit_callbacks(execute=True):
        second = services.create_notification(customer=customer, text="Two")
    assert second.endpoint == email_endpoint
    assert [mail.rcpt_tos for mail in smtp_server.received] == [["dana@example.com"]]


def test_a_scheduled_notification_follows_a_merge(
    twilio_endpoint, fake_provider, supervisor, django_capture_on_commit_callbacks
):
    answer_twilio(fake_provider)
    source = customer_with(phone=DANA_PHONE)
    target = customer_with(email="dana@example.com")
    notification = services.create_notification(
        customer=source, text="Reminder", send_at=timezone.now() + timedelta(hours=2)
    )
    conversation_services.merge_customers(source=source, target=target, actor=supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        services.send_due_outreach(now=timezone.now() + timedelta(hours=3))
    notification.refresh_from_db()
    assert notification.status == Notification.Status.QUEUED
    assert notification.message.conversation.customer == target
    assert fake_provider.requests[0].form()["To"] == [DANA_PHONE]
