"""A notification on WhatsApp to a customer who never wrote there (outside the 24-hour
window: an approved template), on their timeline in a conversation their answer
(through the real, signed Meta webhook) continues."""

from __future__ import annotations

import time

import pytest

from conversations.models import Conversation, Message
from outreach import services
from outreach.models import Notification, NotificationTemplate
from tests.channels_app.conftest import post_meta
from tests.outreach.conftest import DANA_PHONE, answer_whatsapp, customer_with, fixture_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def appointment(db) -> NotificationTemplate:
    return NotificationTemplate.objects.create(
        key="appointment_tomorrow",
        locale="en",
        body="Hi {{ customer_name }}, see you tomorrow at {{ time }}.",
        whatsapp_template_name="appointment_reminder",
        whatsapp_language="en_US",
        whatsapp_parameters=["time"],
        approved=True,
    )


def _answer(text: str, *, message_id: str, replying_to: str) -> dict:
    """Dana's WhatsApp message as Meta posts it, sent now, quoting the notification."""
    payload = fixture_json("meta", "whatsapp_text.json")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message.update(
        id=message_id,
        timestamp=str(int(time.time())),
        text={"body": text},
        context={"from": "15550783881", "id": replying_to},
    )
    return payload


def test_a_whatsapp_notification_and_the_customers_answer_share_a_conversation(
    client, whatsapp_endpoint, fake_provider, appointment, django_capture_on_commit_callbacks
):
    answer_whatsapp(fake_provider)
    customer = customer_with(phone=DANA_PHONE)
    with django_capture_on_commit_callbacks(execute=True):
        notification = services.create_notification(
            customer=customer,
            template_key="appointment_tomorrow",
            variables={"time": "10:30"},
            channel=whatsapp_endpoint.key,
        )
    notification.refresh_from_db()
    assert notification.status == Notification.Status.QUEUED
    [request] = fake_provider.requests
    assert request.json()["type"] == "template"
    assert request.json()["to"] == DANA_PHONE.removeprefix("+")
    message = notification.message
    message.refresh_from_db()
    assert message.delivery_status == Message.DeliveryStatus.SENT
    conversation = message.conversation
    assert (conversation.customer, conversation.endpoint) == (customer, whatsapp_endpoint)
    assert conversation.status == Conversation.Status.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        response = post_meta(
            client,
            whatsapp_endpoint,
            _answer(
                "Could we make it 11 instead?",
                message_id="wamid.answer1",
                replying_to=message.provider_message_id,
            ),
        )
    assert response.status_code == 200
    reply = Message.objects.get(direction=Message.Direction.INBOUND)
    assert reply.text == "Could we make it 11 instead?"
    assert reply.conversation_id == conversation.pk
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN
    assert Conversation.objects.count() == 1
