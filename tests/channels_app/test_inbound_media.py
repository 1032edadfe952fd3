"""Media a provider only links to is downloaded with the provider's credentials and kept."""

from __future__ import annotations

import base64

import pytest

from conversations.models import Message
from tests.channels_app.conftest import fixture_json, meta_endpoint, post_meta, post_twilio
from tests.channels_app.fake_providers import Reply
from tests.factories import EndpointFactory, TeamFactory

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00fake-jpeg-bytes\xff\xd9"


@pytest.fixture(autouse=True)
def fetch_media(settings):
    settings.OMNIDESK_FETCH_INBOUND_MEDIA = True


def test_mms_media_is_downloaded_with_twilio_basic_auth(
    client, twilio_endpoint, fake_provider, django_capture_on_commit_callbacks
):
    media_path = (
        "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages/"
        "MM7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d/Media/ME0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    )
    fake_provider.on("GET", media_path, Reply(200, JPEG, content_type="image/jpeg"))
    payload = {
        **fixture_json("twilio", "mms_inbound.json"),
        "MediaUrl0": fake_provider.url + media_path,
    }
    with django_capture_on_commit_callbacks(execute=True):
        post_twilio(client, twilio_endpoint, "sms", payload)

    attachment = Message.objects.get().attachments.get()
    assert attachment.file.read() == JPEG
    assert attachment.size == len(JPEG)
    [request] = fake_provider.requests
    credentials = base64.b64encode(
        b"AC0123456789abcdef0123456789abcdef:12345678901234567890123456789012"
    ).decode()
    assert request.headers["authorization"] == f"Basic {credentials}"


def test_whatsapp_media_is_resolved_by_id_then_downloaded_with_the_token(
    client, fake_provider, django_capture_on_commit_callbacks
):
    whatsapp = meta_endpoint("whatsapp", phone_number_id="106540352242922")
    fake_provider.on(
        "GET",
        r"/v21.0/1003383421387256",
        Reply(
            200,
            {
                "messaging_product": "whatsapp",
                "url": f"{fake_provider.url}/whatsapp-cdn/1003383421387256",
                "mime_type": "image/jpeg",
                "sha256": "4Wn6oGNLyH4hVbLD3ynWSrT3X27/oyQZqQ5IW1sjUeA=",
                "file_size": len(JPEG),
                "id": "1003383421387256",
            },
        ),
    )
    fake_provider.on("GET", r"/whatsapp-cdn/1003383421387256", Reply(200, JPEG, "image/jpeg"))
    with django_capture_on_commit_callbacks(execute=True):
        post_meta(
            client, whatsapp, fixture_json("meta", "whatsapp_media_location_interactive.json")
        )

    image = Message.objects.get(metadata__whatsapp_type="image")
    assert image.attachments.get().file.read() == JPEG
    lookup, download = fake_provider.requests
    assert lookup.path == "/v21.0/1003383421387256"
    for request in (lookup, download):
        assert request.headers["authorization"] == "Bearer EAAGm0PX4ZCpsBAtestTOKEN"


def test_telegram_files_are_fetched_through_get_file(
    client, fake_provider, django_capture_on_commit_callbacks
):
    token = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    endpoint = EndpointFactory(
        kind="telegram", credentials={"bot_token": token, "secret_token": "s3cr3t"}
    )
    TeamFactory(endpoints=[endpoint])
    fake_provider.on(
        "POST",
        rf"/bot{token}/getFile",
        Reply(
            200,
            {
                "ok": True,
                "result": {
                    "file_id": "AgACAgIAAxkBAAIBZ2VhX1large",
                    "file_unique_id": "AQADlarge",
                    "file_size": len(JPEG),
                    "file_path": "photos/file_7.jpg",
                },
            },
        ),
    )
    fake_provider.on("GET", rf"/file/bot{token}/photos/file_7.jpg", Reply(200, JPEG, "image/jpeg"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/hooks/telegram/{endpoint.key}/",
            data=fixture_json("telegram", "photo.json"),
            content_type="application/json",
            HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="s3cr3t",
        )
    attachment = Message.objects.get().attachments.get()
    assert attachment.file.read() == JPEG
    assert fake_provider.requests[0].json() == {"file_id": "AgACAgIAAxkBAAIBZ2VhX1large"}


def test_media_the_provider_no_longer_has_stays_a_link(
    client, twilio_endpoint, fake_provider, django_capture_on_commit_callbacks
):
    fake_provider.on("GET", r"/2010-04-01/.*", Reply(404, {"code": 20404, "message": "Not found"}))
    url = fake_provider.url + "/2010-04-01/Accounts/AC0/Messages/MM0/Media/ME0"
    payload = {**fixture_json("twilio", "mms_inbound.json"), "MediaUrl0": url}
    with django_capture_on_commit_callbacks(execute=True):
        response = post_twilio(client, twilio_endpoint, "sms", payload)
    assert response.status_code == 200
    attachment = Message.objects.get().attachments.get()
    assert not attachment.file
    assert attachment.remote_url == url
