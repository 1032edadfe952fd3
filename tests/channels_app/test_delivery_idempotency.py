"""A retried send never double-sends: the idempotency key, or a look before resending."""

from __future__ import annotations

from email.utils import format_datetime

import pytest
from django.utils import timezone

from conversations import services as conversation_services
from conversations.models import Conversation, Message
from conversations.services import delivery
from tests.channels_app.conftest import fixture_json, post_twilio
from tests.channels_app.fake_providers import Reply

pytestmark = pytest.mark.django_db

MESSAGES = r"/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages\.json"


def _queued_reply(client, endpoint, agent, capture) -> Message:
    with capture(execute=True):
        post_twilio(client, endpoint, "sms", fixture_json("twilio", "sms_inbound.json"))
    with capture(execute=True):
        return conversation_services.send_reply(
            conversation=Conversation.objects.get(), author=agent, text="Your refund is on its way."
        )


def test_a_retry_after_a_lost_answer_finds_the_sent_message_instead_of_sending_again(
    client, twilio_endpoint, agent, fake_provider, django_capture_on_commit_callbacks
):
    # Twilio accepted the first POST but the answer was lost (a 502 from a proxy).
    fake_provider.on("POST", MESSAGES, Reply(502, {"message": "Bad Gateway"}))
    fake_provider.on(
        "GET",
        MESSAGES,
        Reply(
            200,
            {
                "messages": [
                    {
                        "sid": "SM0000000000000000000000000000abcd",
                        "to": "+14155552671",
                        "from": "+14155550100",
                        "body": "Your refund is on its way.",
                        "status": "sent",
                        "date_created": format_datetime(timezone.now(), usegmt=True),
                    }
                ]
            },
        ),
    )
    reply = _queued_reply(client, twilio_endpoint, agent, django_capture_on_commit_callbacks)
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.QUEUED

    assert delivery.deliver_message(message_id=reply.pk).status == "sent"

    reply.refresh_from_db()
    assert reply.provider_message_id == "SM0000000000000000000000000000abcd"
    assert [r.method for r in fake_provider.requests] == ["POST", "GET"]
    lookup = fake_provider.requests[1]
    assert lookup.query == {"To": ["+14155552671"], "From": ["+14155550100"], "PageSize": ["50"]}


def test_a_retry_sends_again_when_the_first_attempt_did_not_get_through(
    client, twilio_endpoint, agent, fake_provider, django_capture_on_commit_callbacks
):
    fake_provider.on(
        "POST",
        MESSAGES,
        Reply(503, {"message": "Service Unavailable"}),
        Reply(201, fixture_json("twilio", "message_created.json")),
    )
    fake_provider.on("GET", MESSAGES, Reply(200, {"messages": []}))
    reply = _queued_reply(client, twilio_endpoint, agent, django_capture_on_commit_callbacks)

    assert delivery.deliver_message(message_id=reply.pk).status == "sent"

    assert [r.method for r in fake_provider.requests] == ["POST", "GET", "POST"]
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.SENT
    assert reply.delivery_attempts == 2


def test_a_message_already_sent_is_never_sent_again_by_a_duplicate_task(
    client, twilio_endpoint, agent, fake_provider, django_capture_on_commit_callbacks
):
    fake_provider.on("POST", MESSAGES, Reply(201, fixture_json("twilio", "message_created.json")))
    reply = _queued_reply(client, twilio_endpoint, agent, django_capture_on_commit_callbacks)
    assert delivery.deliver_message(message_id=reply.pk).status == "skipped"
    assert len(fake_provider.requests) == 1
