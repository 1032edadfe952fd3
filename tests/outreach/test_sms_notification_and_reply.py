"""A notification by SMS: from the endpoint's number, on the customer's timeline in a
conversation the customer's reply (through the real Twilio webhook) continues."""

from __future__ import annotations

import pytest

from conversations.models import Conversation, ConversationEvent, Message
from outreach import services
from outreach.models import Notification
from tests.channels_app.conftest import post_twilio
from tests.outreach.conftest import DANA_PHONE, answer_twilio, customer_with

pytestmark = pytest.mark.django_db


def test_a_notification_goes_by_sms_and_the_customers_reply_continues_its_conversation(
    client, twilio_endpoint, fake_provider, supervisor, django_capture_on_commit_callbacks
):
    answer_twilio(fake_provider)
    customer = customer_with(phone=DANA_PHONE)

    with django_capture_on_commit_callbacks(execute=True):
        notification = services.create_notification(
            customer=customer, text="Your parcel arrives tomorrow.", created_by=supervisor
        )

    notification.refresh_from_db()
    assert notification.status == Notification.Status.QUEUED
    assert notification.endpoint == twilio_endpoint
    [request] = fake_provider.requests
    assert request.form()["From"] == ["+14155550100"]  # the endpoint's own number
    assert request.form()["To"] == [DANA_PHONE]
    assert request.form()["Body"] == ["Your parcel arrives tomorrow."]
    message = notification.message
    message.refresh_from_db()
    assert message.delivery_status == Message.DeliveryStatus.SENT
    assert message.direction == Message.Direction.OUTBOUND
    assert message.metadata["notification_id"] == notification.pk
    conversation = message.conversation
    assert conversation.customer == customer
    assert conversation.endpoint == twilio_endpoint
    # Nobody waits on the desk until the customer answers.
    assert conversation.status == Conversation.Status.PENDING
    assert conversation.events.filter(kind=ConversationEvent.Kind.CREATED).exists()

    with django_capture_on_commit_callbacks(execute=True):
        answered = post_twilio(
            client,
            twilio_endpoint,
            "sms",
            {**_inbound_sms(), "Body": "Great, thanks! Can it come after 5pm?"},
        )
    assert answered.status_code == 200
    reply = Message.objects.get(direction=Message.Direction.INBOUND)
    assert reply.conversation_id == conversation.pk
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN
    assert Conversation.objects.count() == 1


def test_a_notification_joins_the_customers_open_conversation_on_that_channel(
    client, twilio_endpoint, fake_provider, django_capture_on_commit_callbacks
):
    answer_twilio(fake_provider)
    with django_capture_on_commit_callbacks(execute=True):
        post_twilio(client, twilio_endpoint, "sms", _inbound_sms())
    open_conversation = Conversation.objects.get()
    customer = open_conversation.customer

    with django_capture_on_commit_callbacks(execute=True):
        notification = services.create_notification(
            customer=customer, text="Update: a courier has your parcel."
        )

    assert notification.message.conversation_id == open_conversation.pk
    open_conversation.refresh_from_db()
    assert open_conversation.status == Conversation.Status.OPEN
    assert open_conversation.last_message_preview == "Update: a courier has your parcel."


def _inbound_sms() -> dict:
    from tests.channels_app.conftest import fixture_json

    return fixture_json("twilio", "sms_inbound.json")
