"""Inbound-parse webhooks through django-anymail: Mailgun, Postmark, SendGrid."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

import pytest

from channels_app.models import InboundEvent
from conversations.models import Message
from tests.channels_app.conftest import fixture_json
from tests.factories import EndpointFactory, TeamFactory

pytestmark = pytest.mark.django_db

SIGNING_KEY = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
BASIC_AUTH = "anymail:Xq3!hook-secret"


def make_endpoint(provider: str):
    endpoint = EndpointFactory(
        kind="email",
        config={"address": "support@desk.test", "inbound_provider": provider},
        # Mailgun signs its posts; Postmark and SendGrid rely on basic auth in the URL.
        credentials={"webhook_signing_key": SIGNING_KEY}
        if provider == "mailgun"
        else {"webhook_basic_auth": BASIC_AUTH},
    )
    TeamFactory(endpoints=[endpoint])
    return endpoint


def mailgun_fields(key: str = SIGNING_KEY) -> dict:
    """The stored Mailgun post, signed now with a fresh token, as Mailgun signs each post
    (a signature is good for 15 minutes, a token for one message)."""
    fields = fixture_json("mailgun", "inbound_mime.json")
    fields["timestamp"] = str(int(time.time()))
    fields["token"] = secrets.token_hex(25)
    fields["signature"] = hmac.new(
        key.encode(), f"{fields['timestamp']}{fields['token']}".encode(), hashlib.sha256
    ).hexdigest()
    return fields


def basic_auth(credentials: str = BASIC_AUTH) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def test_signed_mailgun_mime_post_lands_on_the_senders_timeline(
    client, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint("mailgun")
    with django_capture_on_commit_callbacks(execute=True):
        # Mailgun posts multipart/form-data, which is the test client's default.
        response = client.post(f"/hooks/email/{endpoint.key}/", data=mailgun_fields())
    assert response.status_code == 200
    message = Message.objects.get()
    assert message.metadata["from"] == {"email": "dana@example.com"}
    assert message.email_message_id == "<CAH7mZp4=reply-1@mail.example.com>"
    assert message.metadata["source"] == "mailgun"


def test_mailgun_with_a_wrong_signature_is_403_and_nothing_stored(client):
    endpoint = make_endpoint("mailgun")
    response = client.post(
        f"/hooks/email/{endpoint.key}/", data=mailgun_fields(key="key-not-the-right-one")
    )
    assert response.status_code == 403
    assert InboundEvent.objects.count() == 0


def test_mailgun_replay_is_one_message(client, django_capture_on_commit_callbacks):
    endpoint = make_endpoint("mailgun")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            assert (
                client.post(f"/hooks/email/{endpoint.key}/", data=mailgun_fields()).status_code
                == 200
            )
    assert Message.objects.count() == 1


def test_mailgun_garbage_is_kept_as_a_failed_event(client):
    endpoint = make_endpoint("mailgun")
    fields = mailgun_fields()
    fields["body-mime"] = "this is not an email at all"
    response = client.post(f"/hooks/email/{endpoint.key}/", data=fields)
    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert event.status == InboundEvent.Status.FAILED
    assert "From" in event.error


def test_postmark_json_with_basic_auth(client, django_capture_on_commit_callbacks):
    endpoint = make_endpoint("postmark")
    body = json.dumps(fixture_json("postmark", "inbound.json"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/hooks/email/{endpoint.key}/",
            data=body,
            content_type="application/json",
            HTTP_AUTHORIZATION=basic_auth(),
        )
    forged = client.post(
        f"/hooks/email/{endpoint.key}/",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=basic_auth("anymail:guess"),
    )
    assert (response.status_code, forged.status_code) == (200, 403)
    message = Message.objects.get()
    assert message.subject == "Problème de livraison"
    assert message.sender_name == "François Müller"


def test_sendgrid_raw_parse_with_basic_auth_keeps_the_inline_image(
    client, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint("sendgrid")
    fields = fixture_json("sendgrid", "inbound_raw.json")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/hooks/email/{endpoint.key}/", data=fields, HTTP_AUTHORIZATION=basic_auth()
        )
    unauthenticated = client.post(f"/hooks/email/{endpoint.key}/", data=fields)
    assert (response.status_code, unauthenticated.status_code) == (200, 403)
    message = Message.objects.get()
    assert message.subject == "Screenshot of the error"
    assert "<script" not in message.html
    assert message.attachments.get().content_id == "shot1@example.org"


def test_a_failed_event_is_reparsed_when_an_admin_reprocesses_it(
    client, django_capture_on_commit_callbacks
):
    from intake.services import reprocess_events

    endpoint = make_endpoint("mailgun")
    fields = mailgun_fields()
    fields["body-mime"] = "this is not an email at all"
    client.post(f"/hooks/email/{endpoint.key}/", data=fields)
    event = InboundEvent.objects.get()
    # The stored request is the one that failed; re-processing parses it again and
    # records the same reason, rather than losing it.
    with django_capture_on_commit_callbacks(execute=True):
        assert reprocess_events(event_ids=[event.pk]) == 1
    event.refresh_from_db()
    assert event.status == InboundEvent.Status.FAILED
    assert "From" in event.error
    assert event.attempts == 1


def test_a_stored_request_the_adapter_once_failed_on_is_processed_after_the_fix(
    rf, django_capture_on_commit_callbacks
):
    from intake.services import reprocess_events
    from intake.services.webhooks import record_unparseable_webhook, request_envelope

    endpoint = make_endpoint("mailgun")
    request = rf.post(f"/hooks/email/{endpoint.key}/", data=mailgun_fields())
    # As if an older adapter had choked on this authentic request.
    event = record_unparseable_webhook(
        endpoint=endpoint, envelope=request_envelope(request), error=KeyError("body-mime")
    )
    with django_capture_on_commit_callbacks(execute=True):
        reprocess_events(event_ids=[event.pk])
    event.refresh_from_db()
    assert event.status == InboundEvent.Status.PROCESSED
    message = Message.objects.get()
    assert message.email_message_id == "<CAH7mZp4=reply-1@mail.example.com>"
