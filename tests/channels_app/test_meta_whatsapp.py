"""WhatsApp Cloud API webhooks: handshake, signature, messages of every kind, statuses."""

from __future__ import annotations

import json

import pytest

from channels_app.models import InboundEvent
from conversations import services as conversation_services
from conversations.models import Conversation, Message
from customers.models import Identity
from tests.channels_app.conftest import fixture_json, meta_endpoint, post_meta
from tests.channels_app.fake_providers import Reply
from tests.factories import ConversationFactory, EndpointFactory, IdentityFactory, MessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def whatsapp(db):
    return meta_endpoint("whatsapp", phone_number_id="106540352242922")


def test_subscription_handshake_echoes_the_challenge_only_with_the_verify_token(client, whatsapp):
    url = f"/hooks/meta/{whatsapp.key}/"
    good = client.get(
        url,
        {
            "hub.mode": "subscribe",
            "hub.verify_token": "omnidesk-verify-7c1d",
            "hub.challenge": "1158201444",
        },
    )
    bad = client.get(
        url, {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"}
    )
    assert (good.status_code, good.content) == (200, b"1158201444")
    assert bad.status_code == 403


def test_signed_text_lands_on_the_timeline_of_the_customer_with_that_phone(
    client, whatsapp, django_capture_on_commit_callbacks
):
    known = IdentityFactory(kind=Identity.Kind.PHONE, value="+14155552671").customer
    earlier = ConversationFactory(customer=known, endpoint=EndpointFactory(kind="sms"))
    MessageFactory(conversation=earlier)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_meta(client, whatsapp, fixture_json("meta", "whatsapp_text.json"))
    assert (response.status_code, response.content) == (200, b"EVENT_RECEIVED")
    message = Message.objects.get(channel="whatsapp")
    assert message.conversation == earlier
    assert message.text == "Hello, is my order on its way?"
    assert message.sender_name == "Dana Scully"


def test_media_location_and_interactive_replies_are_parsed(
    client, whatsapp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_meta(
            client, whatsapp, fixture_json("meta", "whatsapp_media_location_interactive.json")
        )
    image, location, button = Message.objects.order_by("created_at", "id")
    assert image.text == "The box arrived like this"
    [attachment] = image.attachments.all()
    assert attachment.content_type == "image/jpeg"
    assert attachment.remote_url.endswith("/1003383421387256")
    assert location.metadata["location"]["latitude"] == 37.7955
    assert "Ferry Building" in location.text
    assert button.text == "I want a refund"
    assert button.metadata["interactive"]["id"] == "refund"


def test_forged_or_unsigned_post_is_refused_and_nothing_stored(client, whatsapp):
    payload = fixture_json("meta", "whatsapp_text.json")
    forged = post_meta(client, whatsapp, payload, app_secret="not-the-app-secret")
    unsigned = client.post(
        f"/hooks/meta/{whatsapp.key}/", data=json.dumps(payload), content_type="application/json"
    )
    assert (forged.status_code, unsigned.status_code) == (403, 403)
    assert InboundEvent.objects.count() == 0


def test_replayed_delivery_stores_one_message(client, whatsapp, django_capture_on_commit_callbacks):
    payload = fixture_json("meta", "whatsapp_text.json")
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [post_meta(client, whatsapp, payload).status_code for _ in range(2)]
    assert statuses == [200, 200]
    assert Message.objects.count() == 1


def test_garbage_is_kept_as_a_failed_event_and_meta_gets_200(client, whatsapp):
    response = post_meta(client, whatsapp, b'{"object": "whatsapp_business_account", "entry": [{')
    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert event.status == InboundEvent.Status.FAILED
    assert "JSONDecodeError" in event.error


def _conversation(client, endpoint, capture) -> Conversation:
    with capture(execute=True):
        post_meta(client, endpoint, fixture_json("meta", "whatsapp_text.json"))
    return Conversation.objects.get()


def test_reply_is_a_cloud_api_text_message_and_statuses_move_it_forward(
    client, whatsapp, agent, fake_provider, django_capture_on_commit_callbacks
):
    fake_provider.on(
        "POST",
        r"/v21.0/106540352242922/messages",
        Reply(200, fixture_json("meta", "whatsapp_send_response.json")),
    )
    conversation = _conversation(client, whatsapp, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        reply = conversation_services.send_reply(
            conversation=conversation, author=agent, text="Yes, it arrives tomorrow."
        )
    [request] = fake_provider.requests
    assert request.path == "/v21.0/106540352242922/messages"
    assert request.headers["authorization"] == "Bearer EAAGm0PX4ZCpsBAtestTOKEN"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "14155552671",
        "biz_opaque_callback_data": f"omnidesk-message-{reply.pk}",
        "type": "text",
        "text": {"preview_url": False, "body": "Yes, it arrives tomorrow."},
    }
    reply.refresh_from_db()
    assert reply.provider_message_id == "wamid.HBgLMTQxNTU1NTI2NzEVAgARGBJGQjU0RTk3MjM5RTI5RUY1NUQA"

    with django_capture_on_commit_callbacks(execute=True):
        post_meta(client, whatsapp, fixture_json("meta", "whatsapp_status_read.json"))
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.READ


def test_failed_status_marks_the_reply_failed_with_the_whatsapp_error(
    client, whatsapp, agent, fake_provider, django_capture_on_commit_callbacks
):
    fake_provider.on(
        "POST", r".*/messages", Reply(200, fixture_json("meta", "whatsapp_send_response.json"))
    )
    conversation = _conversation(client, whatsapp, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        reply = conversation_services.send_reply(conversation=conversation, author=agent, text="Hi")
        post_meta(client, whatsapp, fixture_json("meta", "whatsapp_status_failed.json"))
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.FAILED
    assert "131026" in reply.delivery_error


def test_graph_reengagement_error_is_permanent(
    client, whatsapp, agent, fake_provider, django_capture_on_commit_callbacks
):
    fake_provider.on(
        "POST", r".*/messages", Reply(400, fixture_json("meta", "whatsapp_error_reengagement.json"))
    )
    conversation = _conversation(client, whatsapp, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        reply = conversation_services.send_reply(conversation=conversation, author=agent, text="Hi")
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.FAILED
    assert "Re-engagement" in reply.delivery_error
    assert len(fake_provider.requests) == 1
