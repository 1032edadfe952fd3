"""Twilio SMS/MMS in, replies out through the Messages API, delivery status callbacks."""

from __future__ import annotations

import base64
import logging
from urllib.parse import urlencode

import pytest

from channels_app.models import InboundEvent
from conversations import services as conversation_services
from conversations.models import Conversation, Message
from customers.models import Identity
from tests.channels_app.conftest import fixture_json, post_twilio
from tests.channels_app.fake_providers import Reply
from tests.factories import ConversationFactory, EndpointFactory, IdentityFactory, MessageFactory

pytestmark = pytest.mark.django_db


def test_signed_sms_from_a_customer_who_emailed_joins_their_open_conversation(
    client, twilio_endpoint, django_capture_on_commit_callbacks
):
    email_endpoint = EndpointFactory(kind="email")
    emailer = IdentityFactory(kind=Identity.Kind.EMAIL, value="dana@example.com").customer
    IdentityFactory(customer=emailer, kind=Identity.Kind.PHONE, value="+14155552671")
    earlier = ConversationFactory(customer=emailer, endpoint=email_endpoint)
    MessageFactory(conversation=earlier, text="Where is my order?")

    with django_capture_on_commit_callbacks(execute=True):
        response = post_twilio(
            client, twilio_endpoint, "sms", fixture_json("twilio", "sms_inbound.json")
        )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    message = Message.objects.get(provider_message_id="SM1f0e8b4c2a1d4f7c9e3b5a6d7c8e9f01")
    assert message.conversation == earlier
    assert message.channel == "sms"
    assert message.text == "Hi, my order #1042 still hasn't arrived"
    assert message.metadata["from"] == {"phone": "+14155552671"}
    assert InboundEvent.objects.get().status == InboundEvent.Status.PROCESSED


def test_mms_media_become_attachments(client, twilio_endpoint, django_capture_on_commit_callbacks):
    payload = fixture_json("twilio", "mms_inbound.json")
    with django_capture_on_commit_callbacks(execute=True):
        assert post_twilio(client, twilio_endpoint, "sms", payload).status_code == 200
    message = Message.objects.get()
    [attachment] = message.attachments.all()
    assert attachment.remote_url == payload["MediaUrl0"]
    assert attachment.content_type == "image/jpeg"


def test_forged_signature_is_refused_with_403_and_nothing_stored(client, twilio_endpoint, caplog):
    payload = fixture_json("twilio", "sms_inbound.json")
    with caplog.at_level(logging.WARNING, logger="intake.views"):
        forged = post_twilio(client, twilio_endpoint, "sms", payload, auth_token="f" * 32)
    unsigned = client.post(
        f"/hooks/twilio/{twilio_endpoint.key}/sms",
        data=urlencode(payload),
        content_type="application/x-www-form-urlencoded",
    )
    assert (forged.status_code, unsigned.status_code) == (403, 403)
    assert InboundEvent.objects.count() == 0
    assert Message.objects.count() == 0
    [record, *_] = [r for r in caplog.records if "signature" in r.getMessage()]
    assert record.endpoint == twilio_endpoint.key


def test_tampered_body_fails_the_signature(client, twilio_endpoint):
    payload = fixture_json("twilio", "sms_inbound.json")
    from django.conf import settings
    from twilio.request_validator import RequestValidator

    path = f"/hooks/twilio/{twilio_endpoint.key}/sms"
    signature = RequestValidator(twilio_endpoint.credentials["auth_token"]).compute_signature(
        settings.OMNIDESK_PUBLIC_URL + path, payload
    )
    response = client.post(
        path,
        data=urlencode({**payload, "Body": "Send the refund to another account"}),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )
    assert response.status_code == 403
    assert InboundEvent.objects.count() == 0


def test_replayed_delivery_answers_200_and_stores_one_message(
    client, twilio_endpoint, django_capture_on_commit_callbacks
):
    payload = fixture_json("twilio", "sms_inbound.json")
    with django_capture_on_commit_callbacks(execute=True):
        first = post_twilio(client, twilio_endpoint, "sms", payload)
        again = post_twilio(client, twilio_endpoint, "sms", payload)
    assert (first.status_code, again.status_code) == (200, 200)
    assert InboundEvent.objects.count() == 1
    assert Message.objects.count() == 1


def test_garbage_is_kept_as_a_failed_event_and_twilio_gets_200(client, twilio_endpoint):
    garbage = {"AccountSid": "AC0123456789abcdef0123456789abcdef", "Body": "no sid, no sender"}
    response = post_twilio(client, twilio_endpoint, "sms", garbage)
    again = post_twilio(client, twilio_endpoint, "sms", garbage)
    assert (response.status_code, again.status_code) == (200, 200)
    event = InboundEvent.objects.get()
    assert event.status == InboundEvent.Status.FAILED
    assert "MessageSid" in event.error
    assert event.raw["path"] == f"/hooks/twilio/{twilio_endpoint.key}/sms"
    assert Message.objects.count() == 0


def _conversation_with_sms(client, endpoint, django_capture_on_commit_callbacks) -> Conversation:
    with django_capture_on_commit_callbacks(execute=True):
        post_twilio(client, endpoint, "sms", fixture_json("twilio", "sms_inbound.json"))
    return Conversation.objects.get()


def test_reply_is_posted_to_the_messages_api_with_basic_auth_and_status_callback(
    client, twilio_endpoint, agent, fake_provider, django_capture_on_commit_callbacks
):
    fake_provider.on(
        "POST",
        r"/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages\.json",
        Reply(201, fixture_json("twilio", "message_created.json")),
    )
    conversation = _conversation_with_sms(
        client, twilio_endpoint, django_capture_on_commit_callbacks
    )
    with django_capture_on_commit_callbacks(execute=True):
        reply = conversation_services.send_reply(
            conversation=conversation, author=agent, text="It ships today, sorry for the wait!"
        )

    [request] = fake_provider.requests
    assert request.method == "POST"
    assert request.path == "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json"
    expected_auth = base64.b64encode(
        b"AC0123456789abcdef0123456789abcdef:12345678901234567890123456789012"
    ).decode()
    assert request.headers["authorization"] == f"Basic {expected_auth}"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.form() == {
        "To": ["+14155552671"],
        "From": ["+14155550100"],
        "Body": ["It ships today, sorry for the wait!"],
        "StatusCallback": [f"https://desk.example.com/hooks/twilio/{twilio_endpoint.key}/status"],
    }
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.SENT
    assert reply.provider_message_id == "SM9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a"

    with django_capture_on_commit_callbacks(execute=True):
        callback = post_twilio(
            client, twilio_endpoint, "status", fixture_json("twilio", "status_delivered.json")
        )
    assert callback.status_code == 200
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.DELIVERED


def test_undelivered_status_marks_the_reply_failed_with_twilios_error_code(
    client, twilio_endpoint, agent, fake_provider, django_capture_on_commit_callbacks
):
    fake_provider.on(
        "POST", r".*/Messages\.json", Reply(201, fixture_json("twilio", "message_created.json"))
    )
    conversation = _conversation_with_sms(
        client, twilio_endpoint, django_capture_on_commit_callbacks
    )
    with django_capture_on_commit_callbacks(execute=True):
        reply = conversation_services.send_reply(conversation=conversation, author=agent, text="Hi")
        post_twilio(
            client, twilio_endpoint, "status", fixture_json("twilio", "status_undelivered.json")
        )
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.FAILED
    assert "30003" in reply.delivery_error


def test_invalid_number_is_a_permanent_failure_and_an_outage_is_retried(
    client, twilio_endpoint, agent, fake_provider, django_capture_on_commit_callbacks
):
    conversation = _conversation_with_sms(
        client, twilio_endpoint, django_capture_on_commit_callbacks
    )
    fake_provider.on(
        "POST", r".*/Messages\.json", Reply(400, fixture_json("twilio", "error_invalid_to.json"))
    )
    with django_capture_on_commit_callbacks(execute=True):
        refused = conversation_services.send_reply(
            conversation=conversation, author=agent, text="A"
        )
    refused.refresh_from_db()
    assert refused.delivery_status == Message.DeliveryStatus.FAILED
    assert "Invalid 'To' Phone Number" in refused.delivery_error

    fake_provider.on("POST", r".*/Messages\.json", Reply(503, {"message": "Service Unavailable"}))
    with django_capture_on_commit_callbacks(execute=True):
        delayed = conversation_services.send_reply(
            conversation=conversation, author=agent, text="B"
        )
    delayed.refresh_from_db()
    assert delayed.delivery_status == Message.DeliveryStatus.QUEUED
    assert delayed.next_attempt_at is not None
    assert "503" in delayed.delivery_error
