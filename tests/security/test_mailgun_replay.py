"""A captured Mailgun signature forges nothing (issue 14, finding L2): Mailgun signs only
a timestamp and a token, so an old timestamp, or a token already seen with another
message, is refused."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest
from django.core.cache import cache

from channels_app.models import InboundEvent
from tests.channels_app.test_email_webhooks import SIGNING_KEY, mailgun_fields, make_endpoint

pytestmark = pytest.mark.django_db


def signed(fields: dict, *, timestamp: int) -> dict:
    fields = {**fields, "timestamp": str(timestamp)}
    fields["signature"] = hmac.new(
        SIGNING_KEY.encode(), f"{fields['timestamp']}{fields['token']}".encode(), hashlib.sha256
    ).hexdigest()
    return fields


def test_an_old_signature_is_403(client):
    cache.clear()
    endpoint = make_endpoint("mailgun")
    stale = signed(mailgun_fields(), timestamp=int(time.time()) - 3600)
    assert client.post(f"/hooks/email/{endpoint.key}/", data=stale).status_code == 403
    assert not InboundEvent.objects.exists()


def test_a_seen_token_with_another_message_is_403_and_the_same_post_again_is_fine(client):
    cache.clear()
    endpoint = make_endpoint("mailgun")
    original = mailgun_fields()
    url = f"/hooks/email/{endpoint.key}/"
    assert client.post(url, data=original).status_code == 200
    assert client.post(url, data=original).status_code == 200  # Mailgun's own retry
    forged = {**original, "body-mime": original["body-mime"].replace("order", "IBAN")}
    assert client.post(url, data=forged).status_code == 403
    assert InboundEvent.objects.count() == 1
