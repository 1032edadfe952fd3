"""Receivers verify our webhooks with an existing library: the reference Python package
of the Standard Webhooks specification (`standardwebhooks`), run inside a real HTTP
receiver, accepts what we send and refuses a body changed on the way."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from conversations.services import receive_message, send_reply
from tests.conftest import inbound
from webhooks.models import WebhookDelivery
from webhooks.services import create_subscription, new_webhook_secret

pytestmark = pytest.mark.django_db


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with direct.open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_library_verifies_our_deliveries_and_refuses_a_tampered_body(
    receiver, api_endpoint, agent, admin_user, django_capture_on_commit_callbacks
):
    subscription = create_subscription(
        url=receiver.url,
        events=["conversation.created", "message.created"],
        description="",
        created_by=admin_user,
    )
    receiver.verify = Webhook(subscription.secret).verify
    with django_capture_on_commit_callbacks(execute=True):
        message = receive_message(
            endpoint=api_endpoint, inbound=inbound("m-1", "Où est ma commande ?", email="d@x.test")
        )
    with django_capture_on_commit_callbacks(execute=True):
        send_reply(conversation=message.conversation, author=agent, text="En route ✓")

    deliveries = WebhookDelivery.objects.filter(subscription=subscription)
    assert deliveries.count() == 3 == len(receiver.requests)
    # The receiver answered 2xx only after the library verified each one.
    assert set(deliveries.values_list("status", flat=True)) == {"succeeded"}
    for request in receiver.requests:
        payload = Webhook(subscription.secret).verify(request.body, request.headers)
        assert payload == json.loads(request.body)
    texts = [r.payload["data"].get("text") for r in receiver.of_type("message.created")]
    assert texts == ["Où est ma commande ?", "En route ✓"]

    genuine = receiver.requests[0]
    tampered = genuine.body.replace(b'"open"', b'"resolved"')
    assert tampered != genuine.body
    with pytest.raises(WebhookVerificationError):
        Webhook(subscription.secret).verify(tampered, genuine.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_webhook_secret()).verify(genuine.body, genuine.headers)
    # The same, as the receiver sees it: the untouched request is taken, the changed one
    # refused.
    headers = {k: v for k, v in genuine.headers.items() if k.startswith("webhook-")}
    assert _post(receiver.url, genuine.body, headers) == 200
    assert _post(receiver.url, tampered, headers) == 401
