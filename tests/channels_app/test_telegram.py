"""Telegram bot: secret-token webhook in, sendMessage/sendDocument out."""

from __future__ import annotations

import json

import pytest
from django.core.files.base import ContentFile

from channels_app.models import InboundEvent
from conversations import services as conversation_services
from conversations.models import Attachment, Conversation, Message
from conversations.services import delivery
from tests.channels_app.conftest import fixture_json
from tests.channels_app.fake_providers import Reply
from tests.factories import EndpointFactory, TeamFactory

pytestmark = pytest.mark.django_db

BOT_TOKEN = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


@pytest.fixture
def telegram(db):
    endpoint = EndpointFactory(
        kind="telegram",
        name="Support bot",
        credentials={"bot_token": BOT_TOKEN, "secret_token": "s3cr3t-Token_from-setWebhook"},
    )
    TeamFactory(endpoints=[endpoint])
    return endpoint


def post_update(client, endpoint, body, secret="s3cr3t-Token_from-setWebhook"):
    headers = {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret} if secret else {}
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(
        f"/hooks/telegram/{endpoint.key}/", data=raw, content_type="application/json", **headers
    )


def test_text_photo_and_document_land_on_one_customers_timeline(
    client, telegram, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for name in ("text.json", "photo.json", "document.json"):
            assert post_update(client, telegram, fixture_json("telegram", name)).status_code == 200
    text, photo, document = Message.objects.order_by("created_at", "id")
    assert text.text == "Hi! Did my refund go through?"
    assert text.sender_name == "Dana Scully"
    assert text.metadata["from"] == {"telegram": "523456789"}
    assert photo.text == "The receipt"
    assert photo.attachments.get().remote_url == "tg://file/AgACAgIAAxkBAAIBZ2VhX1large"
    assert document.attachments.get().filename == "invoice-1042.pdf"
    assert Conversation.objects.count() == 1


def test_wrong_or_missing_secret_token_is_403_and_nothing_stored(client, telegram):
    payload = fixture_json("telegram", "text.json")
    assert post_update(client, telegram, payload, secret="guess").status_code == 403
    assert post_update(client, telegram, payload, secret=None).status_code == 403
    assert InboundEvent.objects.count() == 0


def test_replayed_update_is_one_message(client, telegram, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            post_update(client, telegram, fixture_json("telegram", "text.json"))
    assert Message.objects.count() == 1


def test_garbage_is_a_failed_event_with_200(client, telegram):
    response = post_update(client, telegram, {"update_id": 1, "message": {"text": "no chat"}})
    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert (event.status, event.kind) == ("failed", "webhook")
    assert "chat" in event.error


def _conversation(client, telegram, capture) -> Conversation:
    with capture(execute=True):
        post_update(client, telegram, fixture_json("telegram", "text.json"))
    return Conversation.objects.get()


def test_reply_goes_out_with_send_message(
    client, telegram, agent, fake_provider, django_capture_on_commit_callbacks
):
    fake_provider.on(
        "POST",
        rf"/bot{BOT_TOKEN}/sendMessage",
        Reply(200, fixture_json("telegram", "send_message_ok.json")),
    )
    conversation = _conversation(client, telegram, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        reply = conversation_services.send_reply(
            conversation=conversation, author=agent, text="Yes, it went through."
        )
    [request] = fake_provider.requests
    assert request.path == f"/bot{BOT_TOKEN}/sendMessage"
    assert request.json() == {"chat_id": "523456789", "text": "Yes, it went through."}
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.SENT
    assert reply.provider_message_id == "523456789:1877"


def test_attachment_goes_out_with_send_document(
    client, telegram, agent, fake_provider, django_capture_on_commit_callbacks
):
    fake_provider.on(
        "POST", r".*/sendMessage", Reply(200, fixture_json("telegram", "send_message_ok.json"))
    )
    fake_provider.on(
        "POST", r".*/sendDocument", Reply(200, fixture_json("telegram", "send_document_ok.json"))
    )
    conversation = _conversation(client, telegram, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        reply = conversation_services.send_reply(
            conversation=conversation, author=agent, text="Here is your refund note."
        )
    attachment = Attachment(message=reply, filename="refund.pdf", content_type="application/pdf")
    attachment.file.save("refund.pdf", ContentFile(b"%PDF-1.4 refund"), save=True)

    assert delivery.deliver_message(message_id=reply.pk).status == "sent"

    send_message, send_document = fake_provider.requests
    assert send_message.path.endswith("/sendMessage")
    assert send_document.path == f"/bot{BOT_TOKEN}/sendDocument"
    content_type = send_document.headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    assert b'name="chat_id"\r\n\r\n523456789' in send_document.body
    assert b'name="document"; filename="refund.pdf"' in send_document.body
    assert b"Content-Type: application/pdf\r\n\r\n%PDF-1.4 refund" in send_document.body


def test_blocked_bot_is_a_permanent_failure_without_the_token_in_the_error(
    client, telegram, agent, fake_provider, django_capture_on_commit_callbacks
):
    fake_provider.on(
        "POST", r".*/sendMessage", Reply(403, fixture_json("telegram", "error_blocked.json"))
    )
    conversation = _conversation(client, telegram, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        reply = conversation_services.send_reply(conversation=conversation, author=agent, text="Hi")
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.FAILED
    assert "bot was blocked by the user" in reply.delivery_error
    assert BOT_TOKEN not in reply.delivery_error
