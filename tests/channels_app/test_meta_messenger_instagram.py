"""Messenger and Instagram: messaging webhooks in, Send API replies out."""

from __future__ import annotations

import pytest

from channels_app.models import InboundEvent
from conversations import services as conversation_services
from conversations.models import Conversation, Message
from tests.channels_app.conftest import fixture_json, meta_endpoint, post_meta
from tests.channels_app.fake_providers import Reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def messenger(db):
    return meta_endpoint("messenger", page_id="109876543210987")


@pytest.fixture
def instagram(db):
    return meta_endpoint("instagram", page_id="17841400000000000")


def test_messenger_text_and_image_land_on_one_customer_and_echoes_are_skipped(
    client, messenger, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_meta(
            client, messenger, fixture_json("meta", "messenger_text_and_attachment.json")
        )
    assert response.status_code == 200
    text, image = Message.objects.order_by("created_at", "id")
    assert text.text == "Can I change my delivery address?"
    assert text.conversation.customer.identities.get().value == "6543210987654321"
    assert image.attachments.get().remote_url.startswith("https://scontent.xx.fbcdn.net/")
    assert Message.objects.count() == 2


def test_messenger_forged_is_403_and_replay_is_one_message(
    client, messenger, django_capture_on_commit_callbacks
):
    payload = fixture_json("meta", "messenger_text_and_attachment.json")
    assert post_meta(client, messenger, payload, app_secret="wrong").status_code == 403
    assert InboundEvent.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        post_meta(client, messenger, payload)
        post_meta(client, messenger, payload)
    assert Message.objects.count() == 2


def test_messenger_reply_uses_the_send_api_and_delivery_marks_it_delivered(
    client, messenger, agent, fake_provider, django_capture_on_commit_callbacks
):
    fake_provider.on(
        "POST",
        r"/v21.0/109876543210987/messages",
        Reply(200, fixture_json("meta", "messenger_send_response.json")),
    )
    with django_capture_on_commit_callbacks(execute=True):
        post_meta(client, messenger, fixture_json("meta", "messenger_text_and_attachment.json"))
    with django_capture_on_commit_callbacks(execute=True):
        reply = conversation_services.send_reply(
            conversation=Conversation.objects.get(), author=agent, text="Sure, send it over."
        )
    [request] = fake_provider.requests
    assert request.path == "/v21.0/109876543210987/messages"
    assert request.query == {"access_token": ["EAAGm0PX4ZCpsBAtestTOKEN"]}
    assert request.json() == {
        "recipient": {"id": "6543210987654321"},
        "messaging_type": "RESPONSE",
        "message": {"text": "Sure, send it over."},
    }
    with django_capture_on_commit_callbacks(execute=True):
        post_meta(client, messenger, fixture_json("meta", "messenger_delivery_read.json"))
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.DELIVERED


def test_instagram_message_and_reply(
    client, instagram, agent, fake_provider, django_capture_on_commit_callbacks
):
    fake_provider.on(
        "POST",
        r"/v21.0/17841400000000000/messages",
        Reply(200, fixture_json("meta", "instagram_send_response.json")),
    )
    with django_capture_on_commit_callbacks(execute=True):
        post_meta(client, instagram, fixture_json("meta", "instagram_text.json"))
    message = Message.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        reply = conversation_services.send_reply(
            conversation=message.conversation, author=agent, text="We do!"
        )
    assert message.text == "Do you ship to Canada?"
    assert message.metadata["from"] == {"instagram": "1234567890123456"}
    [request] = fake_provider.requests
    assert request.json()["recipient"] == {"id": "1234567890123456"}
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.SENT


def test_instagram_garbage_is_a_failed_event(client, instagram):
    response = post_meta(client, instagram, {"object": "instagram", "entry": [{"messaging": [{}]}]})
    assert response.status_code == 200
    assert InboundEvent.objects.get().status == InboundEvent.Status.FAILED
