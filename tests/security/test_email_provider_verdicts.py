"""Each inbound provider's own SPF/DKIM/DMARC verdict decides whether an email's sender is
proven (issue 14, finding M3), read from real-format posts signed as the provider signs
them: Mailgun's X-Mailgun-Spf / X-Mailgun-Dkim-Check-Result on top of the message,
SendGrid's SPF and dkim fields, Postmark's Received-SPF and SpamAssassin tests. A spoof of
a customer's address (a server of the attacker's passes for the attacker's domain, and
the attacker's own copies of those headers sit lower in the message) proves nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time

import pytest
from django.core.cache import cache

from conversations.models import Message
from conversations.services import receive_message
from customers.identities import Proof
from customers.models import Identity
from tests.channels_app.conftest import fixture_json
from tests.channels_app.test_email_webhooks import SIGNING_KEY, basic_auth, make_endpoint
from tests.conftest import inbound

pytestmark = pytest.mark.django_db

# Who each stored pass case is from.
SENDERS = {
    "mailgun": "dana@example.com",
    "sendgrid": "mo@example.org",
    "postmark": "francois@exemple.fr",
}
PASSING = {
    "mailgun": "inbound_mime.json",
    "sendgrid": "inbound_raw.json",
    "postmark": "inbound.json",
}


def post(client, endpoint, provider: str, fixture: str):
    """The provider's post of a stored payload, authenticated as that provider does it."""
    url = f"/hooks/email/{endpoint.key}/"
    payload = fixture_json(provider, fixture)
    if provider == "mailgun":
        payload["timestamp"], payload["token"] = str(int(time.time())), secrets.token_hex(25)
        payload["signature"] = hmac.new(
            SIGNING_KEY.encode(),
            f"{payload['timestamp']}{payload['token']}".encode(),
            hashlib.sha256,
        ).hexdigest()
        return client.post(url, data=payload)
    if provider == "postmark":
        return client.post(
            url,
            data=json.dumps(payload),
            content_type="application/json",
            HTTP_AUTHORIZATION=basic_auth(),
        )
    return client.post(url, data=payload, HTTP_AUTHORIZATION=basic_auth())


@pytest.mark.parametrize("provider", ["mailgun", "sendgrid", "postmark"])
def test_a_passing_provider_verdict_proves_the_sender(
    client, provider, django_capture_on_commit_callbacks
):
    cache.clear()
    endpoint = make_endpoint(provider)
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, endpoint, provider, PASSING[provider]).status_code == 200

    message = Message.objects.get()
    assert message.metadata["email_auth"]["pass"] is True
    assert message.metadata["email_auth"]["source"] == provider
    assert Identity.objects.get(value=SENDERS[provider]).proof == Proof.EMAIL_AUTHENTICATED


@pytest.mark.parametrize("provider", ["mailgun", "sendgrid", "postmark"])
def test_a_spoof_of_a_customers_address_stays_out_of_their_thread(
    client, provider, django_capture_on_commit_callbacks
):
    cache.clear()
    endpoint = make_endpoint(provider)
    dana = receive_message(
        endpoint=endpoint,
        inbound=inbound("first", "Where is my order?", email="dana@example.com"),
    )
    Message.objects.filter(pk=dana.pk).update(email_message_id="<CAH7mZp4=first@mail.example.com>")

    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, endpoint, provider, "inbound_spoofed.json").status_code == 200

    spoofed = Message.objects.exclude(pk=dana.pk).get()
    assert spoofed.metadata["email_auth"]["pass"] is False
    assert spoofed.conversation_id != dana.conversation_id
    assert spoofed.conversation.customer_id != dana.conversation.customer_id
    assert Identity.objects.get(value="dana@example.com").customer_id == (
        dana.conversation.customer_id
    )
