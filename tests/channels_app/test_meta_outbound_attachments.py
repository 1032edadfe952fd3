"""Files attached to a reply reach WhatsApp (media upload) and Messenger (filedata)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from conversations import services as conversation_services
from conversations.models import Attachment, Message
from conversations.services import delivery
from tests.channels_app.conftest import fixture_json, meta_endpoint, post_meta
from tests.channels_app.fake_providers import Reply

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4 refund note"


def _reply_with_pdf(client, endpoint, fixture, agent, capture) -> Message:
    with capture(execute=True):
        post_meta(client, endpoint, fixture_json("meta", fixture))
    with capture(execute=False):
        reply = conversation_services.send_reply(
            conversation=Message.objects.filter(direction="in").first().conversation,
            author=agent,
            text="Here it is.",
        )
    attachment = Attachment(message=reply, filename="refund.pdf", content_type="application/pdf")
    attachment.file.save("refund.pdf", ContentFile(PDF), save=True)
    return reply


def test_whatsapp_uploads_the_file_then_sends_it_as_a_document(
    client, agent, fake_provider, django_capture_on_commit_callbacks
):
    whatsapp = meta_endpoint("whatsapp", phone_number_id="106540352242922")
    fake_provider.on(
        "POST", r"/v21.0/106540352242922/media", Reply(200, {"id": "4490709327384033"})
    )
    fake_provider.on(
        "POST",
        r"/v21.0/106540352242922/messages",
        Reply(200, fixture_json("meta", "whatsapp_send_response.json")),
    )
    reply = _reply_with_pdf(
        client, whatsapp, "whatsapp_text.json", agent, django_capture_on_commit_callbacks
    )

    assert delivery.deliver_message(message_id=reply.pk).status == "sent"

    text, upload, document = fake_provider.requests
    assert text.json()["text"] == {"preview_url": False, "body": "Here it is."}
    assert upload.path == "/v21.0/106540352242922/media"
    assert upload.headers["authorization"] == "Bearer EAAGm0PX4ZCpsBAtestTOKEN"
    assert b'name="messaging_product"\r\n\r\nwhatsapp' in upload.body
    assert b'name="type"\r\n\r\napplication/pdf' in upload.body
    assert b'name="file"; filename="refund.pdf"' in upload.body and PDF in upload.body
    assert document.json() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "14155552671",
        "biz_opaque_callback_data": f"omnidesk-message-{reply.pk}",
        "type": "document",
        "document": {"id": "4490709327384033", "filename": "refund.pdf"},
    }


def test_messenger_sends_the_file_as_filedata_in_the_send_api(
    client, agent, fake_provider, django_capture_on_commit_callbacks
):
    messenger = meta_endpoint("messenger", page_id="109876543210987")
    fake_provider.on(
        "POST",
        r"/v21.0/109876543210987/messages",
        Reply(200, fixture_json("meta", "messenger_send_response.json")),
    )
    reply = _reply_with_pdf(
        client,
        messenger,
        "messenger_text_and_attachment.json",
        agent,
        django_capture_on_commit_callbacks,
    )

    assert delivery.deliver_message(message_id=reply.pk).status == "sent"

    _text, upload = fake_provider.requests
    assert upload.query == {"access_token": ["EAAGm0PX4ZCpsBAtestTOKEN"]}
    assert b'name="recipient"\r\n\r\n{"id": "6543210987654321"}' in upload.body
    assert (
        b'name="message"\r\n\r\n{"attachment": {"type": "file", "payload": {"is_reusable": false}}}'
        in upload.body
    )
    assert b'name="filedata"; filename="refund.pdf"' in upload.body
