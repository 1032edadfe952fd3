"""Files in a reply over the API (multipart `files`): each channel carries them the way its
provider documents, refuses what it cannot carry with a 400 naming the file, and a JSON
reply works as before."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client

from channels_app.adapters.webchat import visitor_group
from conversations.models import Attachment, Message
from tests.attachments.conftest import BOT_TOKEN, PDF, PNG, upload
from tests.group_listener import listening

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def _fetch(link: str) -> bytes:
    """GET a signed link as a provider would: no session, no cookie."""
    response = Client().get(urlsplit(link).path)
    assert response.status_code == 200, response.status_code
    assert response["Content-Disposition"].startswith("attachment;")
    return b"".join(response.streaming_content)


def test_mms_carries_the_file_as_a_signed_media_url_twilio_can_fetch(
    desk, provider, django_capture_on_commit_callbacks
):
    conversation = desk.conversation(desk.sms, phone="+14155552671")
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.reply(conversation, [upload("receipt.png", PNG, "image/png")])

    assert response.status_code == 201, response.content
    body = response.json()
    assert [a["filename"] for a in body["attachments"]] == ["receipt.png"]
    [sent] = [r for r in provider.requests if r.path.endswith("/Messages.json")]
    form = sent.form()
    assert form["Body"] == ["Here it is."]
    [media_url] = form["MediaUrl"]
    assert media_url.startswith("https://desk.example.com/files/")
    assert _fetch(media_url) == PNG
    assert Message.objects.get(pk=body["id"]).delivery_status == Message.DeliveryStatus.SENT


def test_sms_without_mms_refuses_a_file_before_anything_is_stored(desk, provider):
    conversation = desk.conversation(desk.uk_sms, phone="+447911123456")

    response = desk.reply(conversation, [upload("receipt.png", PNG, "image/png")])

    assert response.status_code == 400
    error = response.json()["error"]
    assert "cannot send MMS" in error["message"]
    assert error["fields"]["files"]
    assert not Message.objects.filter(direction="out").exists()
    assert not Attachment.objects.exists()
    assert not provider.requests


def test_mms_refuses_files_over_twilios_five_megabytes_in_all(desk, provider):
    conversation = desk.conversation(desk.sms, phone="+14155552671")
    big = upload("scan.jpg", b"\xff\xd8\xff" + b"0" * (3 * MB), "image/jpeg")
    bigger = upload("scan2.jpg", b"\xff\xd8\xff" + b"0" * (3 * MB), "image/jpeg")

    response = desk.reply(conversation, [big, bigger])

    assert response.status_code == 400
    assert "MMS takes at most 5 MB per reply" in response.json()["error"]["message"]
    assert not Message.objects.filter(direction="out").exists()


def test_whatsapp_refuses_a_type_it_cannot_carry_and_an_image_over_five_megabytes(desk, provider):
    conversation = desk.conversation(desk.whatsapp, phone="+14155552671")

    archive = desk.reply(conversation, [upload("logs.zip", b"PK\x03\x04", "application/zip")])
    photo = desk.reply(conversation, [upload("big.png", PNG + b"0" * (6 * MB), "image/png")])

    assert archive.status_code == 400
    assert archive.json()["error"]["message"] == (
        "WhatsApp cannot carry logs.zip (application/zip)."
    )
    assert photo.status_code == 400
    assert "up to 5 MB" in photo.json()["error"]["message"]
    assert not Message.objects.filter(direction="out").exists()


def test_whatsapp_sends_a_pdf_as_a_document(desk, provider, django_capture_on_commit_callbacks):
    conversation = desk.conversation(desk.whatsapp, phone="+14155552671")
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.reply(conversation, [upload("refund.pdf", PDF, "application/pdf")])

    assert response.status_code == 201, response.content
    upload_request = next(r for r in provider.requests if r.path.endswith("/media"))
    assert PDF in upload_request.body
    document = [r for r in provider.requests if r.path.endswith("/messages")][-1].json()
    assert document["type"] == "document"
    assert document["document"] == {"id": "4490709327384033", "filename": "refund.pdf"}


def test_instagram_takes_the_image_by_link(desk, provider, django_capture_on_commit_callbacks):
    conversation = desk.conversation(desk.instagram, instagram="6543210987654321")
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.reply(conversation, [upload("receipt.png", PNG, "image/png")], text="")

    assert response.status_code == 201, response.content
    [send] = [r for r in provider.requests if r.path.endswith("/messages")]
    attachment = send.json()["message"]["attachment"]
    assert attachment["type"] == "image"
    assert _fetch(attachment["payload"]["url"]) == PNG


def test_telegram_sends_a_photo_with_send_photo_and_a_pdf_with_send_document(
    desk, provider, django_capture_on_commit_callbacks
):
    conversation = desk.conversation(desk.telegram, telegram="523456789")
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.reply(
            conversation,
            [upload("receipt.png", PNG, "image/png"), upload("refund.pdf", PDF, "application/pdf")],
        )

    assert response.status_code == 201, response.content
    paths = [r.path for r in provider.requests]
    assert paths == [
        f"/bot{BOT_TOKEN}/sendMessage",
        f"/bot{BOT_TOKEN}/sendPhoto",
        f"/bot{BOT_TOKEN}/sendDocument",
    ]
    photo, document = provider.requests[1], provider.requests[2]
    assert b'name="photo"; filename="receipt.png"' in photo.body and PNG in photo.body
    assert b'name="document"; filename="refund.pdf"' in document.body and PDF in document.body


def test_email_refuses_attachments_over_its_configured_total(desk, provider, settings):
    settings.OMNIDESK_EMAIL_ATTACHMENTS_MAX_BYTES = 1 * MB
    conversation = desk.conversation(desk.email, email="dana@example.com")

    response = desk.reply(
        conversation, [upload("scan.pdf", PDF + b"0" * (2 * MB), "application/pdf")]
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "scan.pdf is 2 MB: Email takes files of this type up to 1 MB."
    )


def test_web_chat_pushes_the_file_with_a_link_the_widget_downloads(
    desk, django_capture_on_commit_callbacks
):
    conversation = desk.conversation(desk.webchat, webchat="v_visitor123")
    with listening(visitor_group("v_visitor123")) as visitor:
        with django_capture_on_commit_callbacks(execute=True):
            response = desk.reply(conversation, [upload("refund.pdf", PDF, "application/pdf")])

        assert response.status_code == 201, response.content
        event = visitor.receive()["event"]
    [file] = event["message"]["attachments"]
    assert file["name"] == "refund.pdf" and file["type"] == "application/pdf"
    downloaded = Client().get(file["url"])
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content) == PDF


def test_a_json_reply_still_works_and_an_empty_one_is_refused(desk, provider):
    conversation = desk.conversation(desk.telegram, telegram="523456789")
    url = f"/api/v1/conversations/{conversation.pk}/messages/"

    sent = desk.api.post(url, {"text": "Plain text."}, format="json")
    empty = desk.api.post(url, {"text": "  "}, format="json")
    note_with_file = desk.reply(
        conversation, [upload("refund.pdf", PDF, "application/pdf")], private=True
    )

    assert sent.status_code == 201 and sent.json()["text"] == "Plain text."
    assert empty.status_code == 400
    assert note_with_file.status_code == 400
    assert "notes" in str(note_with_file.json())
