"""A status callback that overtakes our record of the send is applied later, not lost."""

from __future__ import annotations

from datetime import timedelta

import pytest

from channels_app.models import InboundEvent
from conversations import services as conversation_services
from conversations.models import Conversation, Message
from intake import services as channel_services
from intake.services import handlers
from tests.channels_app.conftest import fixture_json, post_twilio

pytestmark = pytest.mark.django_db


def test_delivered_callback_arriving_before_the_sid_is_stored_is_applied_by_the_sweep(
    client, twilio_endpoint, agent, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_twilio(client, twilio_endpoint, "sms", fixture_json("twilio", "sms_inbound.json"))
    # The reply is claimed by a worker that has not stored Twilio's answer yet.
    with django_capture_on_commit_callbacks(execute=False):
        reply = conversation_services.send_reply(
            conversation=Conversation.objects.get(), author=agent, text="On its way"
        )
    with django_capture_on_commit_callbacks(execute=True):
        post_twilio(
            client, twilio_endpoint, "status", fixture_json("twilio", "status_delivered.json")
        )
    status_event = InboundEvent.objects.get(kind="status")
    assert status_event.status == InboundEvent.Status.PENDING
    assert "yet" in status_event.error

    conversation_services.mark_message_sent(
        message=reply, provider_message_id="SM9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a"
    )
    InboundEvent.objects.filter(pk=status_event.pk).update(
        received_at=status_event.received_at - timedelta(minutes=5)
    )
    with django_capture_on_commit_callbacks(execute=True):
        channel_services.sweep_stranded_work()

    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.DELIVERED
    status_event.refresh_from_db()
    assert status_event.status == InboundEvent.Status.PROCESSED


def test_a_status_for_a_message_that_never_appears_is_dropped_after_the_retries(
    client, twilio_endpoint, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_twilio(
            client, twilio_endpoint, "status", fixture_json("twilio", "status_delivered.json")
        )
    event = InboundEvent.objects.get()
    for _ in range(handlers.STATUS_RETRY_ATTEMPTS):
        channel_services.process_inbound_event(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == InboundEvent.Status.PROCESSED
    assert event.attempts == handlers.STATUS_RETRY_ATTEMPTS
