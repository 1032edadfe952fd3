"""Request bodies are capped before they are read (issue 14, finding L1 and the hostile
input point): a webhook, inbound API or widget upload body over its limit is answered
413 with a JSON error and nothing is stored; a declared length over the limit is refused
without reading the body, and a chunked body (no declared length) is read no further
than one byte past the limit, at the ASGI server for every request and at each door."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
from rest_framework.authtoken.models import Token

from agents.models import AgentProfile
from channels_app.models import ChannelEndpoint, InboundEvent
from channels_app.webchat_identity import issue_visitor_token
from conversations.models import Attachment
from tests.browser.conftest import _asgi_server, live_server_asgi  # noqa: F401 (fixtures)
from tests.conftest import api_client_for
from tests.factories import EndpointFactory, TeamFactory, make_agent

SECRET = "s3cr3t-Token_from-setWebhook"
ORIGIN = "https://shop.example"
LIMIT = 4096
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def telegram_endpoint() -> ChannelEndpoint:
    endpoint = EndpointFactory(
        kind="telegram", credentials={"bot_token": "7000000001:AAH-test", "secret_token": SECRET}
    )
    TeamFactory(endpoints=[endpoint])
    return endpoint


def telegram_update(text: str) -> bytes:
    sender = {"id": 523456789, "first_name": "Dana"}
    message = {"message_id": 1, "from": sender, "chat": {**sender, "type": "private"}}
    return json.dumps({"update_id": 1, "message": {**message, "text": text}}).encode()


def api_message(endpoint: ChannelEndpoint, text: str) -> bytes:
    body = {"endpoint": endpoint.key, "id": "m1", "from": {"email": "a@example.com"}, "text": text}
    return json.dumps(body).encode()


def in_chunks(body: bytes, size: int = 1024) -> Iterator[bytes]:
    """A body of unknown length: `requests` sends a generator chunked."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def multipart(fields: dict[str, str], file: bytes) -> tuple[bytes, str]:
    boundary = "omnideskboundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
        "Content-Type: image/png\r\n\r\n".encode()
        + file
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def assert_too_large(response) -> None:
    assert response.status_code == 413, response.content
    assert response.json()["error"]["message"]


# --- Declared lengths (any server) ------------------------------------------------------


@pytest.mark.django_db
def test_a_webhook_body_over_the_limit_is_413_and_not_stored(client, settings):
    settings.OMNIDESK_MAX_WEBHOOK_BYTES = LIMIT
    endpoint = telegram_endpoint()
    url = f"/hooks/telegram/{endpoint.key}/"
    headers = {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": SECRET}

    response = client.post(
        url, data=telegram_update("x" * 2 * LIMIT), content_type="application/json", **headers
    )
    assert_too_large(response)
    assert response.json()["error"]["fields"] == {"body": [f"At most {LIMIT} bytes."]}
    # Refused from the header alone: this body is not even as long as it says.
    unread = client.generic(
        "POST",
        url,
        data=telegram_update("hi"),
        content_type="application/json",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
        **headers,
    )
    assert_too_large(unread)
    assert not InboundEvent.objects.exists()

    fits = client.post(url, data=telegram_update("hi"), content_type="application/json", **headers)
    assert fits.status_code == 200
    assert InboundEvent.objects.count() == 1


@pytest.mark.django_db
def test_an_inbound_api_body_declared_over_the_limit_is_refused_unread(admin_user):
    endpoint = EndpointFactory(kind=ChannelEndpoint.Kind.API)
    response = api_client_for(admin_user).generic(
        "POST",
        "/api/v1/inbound/",
        data=api_message(endpoint, "hi"),
        content_type="application/json",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
    )
    assert_too_large(response)
    assert not InboundEvent.objects.exists()


# --- Chunked bodies, through the ASGI server the desk runs on ----------------------------


def test_chunked_bodies_over_the_limit_are_413_at_every_door(live_server_asgi, settings):  # noqa: F811
    settings.OMNIDESK_MAX_WEBHOOK_BYTES = LIMIT
    telegram = telegram_endpoint()
    api = EndpointFactory(kind=ChannelEndpoint.Kind.API)
    widget = EndpointFactory(
        kind=ChannelEndpoint.Kind.WEBCHAT, config={"allowed_origins": [ORIGIN]}
    )
    token, _ = Token.objects.get_or_create(user=make_agent(role=AgentProfile.Role.ADMIN))
    upload, upload_type = multipart(
        {
            "client_id": "f1",
            "token": issue_visitor_token(endpoint_key=widget.key, visitor_id="v_uploader"),
        },
        PNG + b"\x00" * 2 * LIMIT,
    )
    doors = [
        (
            f"/hooks/telegram/{telegram.key}/",
            telegram_update("x" * 2 * LIMIT),
            {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
        ),
        (
            "/api/v1/inbound/",
            api_message(api, "x" * 2 * LIMIT),
            {"Content-Type": "application/json", "Authorization": f"Token {token.key}"},
        ),
        (f"/widget/{widget.key}/upload", upload, {"Content-Type": upload_type, "Origin": ORIGIN}),
    ]
    for path, body, headers in doors:
        response = requests.post(
            f"{live_server_asgi.url}{path}", data=in_chunks(body), headers=headers, timeout=30
        )
        assert_too_large(response)
    assert not InboundEvent.objects.exists()
    assert not Attachment.objects.exists()

    # Within the limit, a chunked body is read as any other.
    fits = requests.post(
        f"{live_server_asgi.url}/hooks/telegram/{telegram.key}/",
        data=in_chunks(telegram_update("hi")),
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
        timeout=30,
    )
    assert fits.status_code == 200
    assert InboundEvent.objects.count() == 1


def test_a_chunked_upload_is_read_no_further_than_the_widgets_own_limit(live_server_asgi):  # noqa: F811
    widget = EndpointFactory(
        kind=ChannelEndpoint.Kind.WEBCHAT,
        config={"allowed_origins": [ORIGIN], "max_upload_bytes": 1024},
    )
    TeamFactory(endpoints=[widget])
    token = issue_visitor_token(endpoint_key=widget.key, visitor_id="v_uploader")
    url = f"{live_server_asgi.url}/widget/{widget.key}/upload"

    # Under the desk-wide limit, over this widget's: refused by the upload view itself.
    big, content_type = multipart({"client_id": "f1", "token": token}, PNG + b"\x00" * 100_000)
    response = requests.post(
        url,
        data=in_chunks(big),
        headers={"Content-Type": content_type, "Origin": ORIGIN},
        timeout=30,
    )
    assert_too_large(response)
    assert response.json()["error"]["fields"]["code"] == ["file_too_big"]
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert not Attachment.objects.exists()

    small, content_type = multipart({"client_id": "f2", "token": token}, PNG)
    stored = requests.post(
        url,
        data=in_chunks(small),
        headers={"Content-Type": content_type, "Origin": ORIGIN},
        timeout=30,
    )
    assert stored.status_code == 201, stored.content
    assert Attachment.objects.get().size == len(PNG)
