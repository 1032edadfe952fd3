"""Webhook URLs reach public addresses only, unless their network is listed in
OMNIDESK_WEBHOOK_ALLOWED_NETWORKS: refused when saved, and again when sent."""

from __future__ import annotations

import pytest

from conversations.services import receive_message
from tests.conftest import api_client_for, inbound
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.services import create_subscription

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://localhost/hook",
    ],
)
def test_private_targets_are_refused_at_create(settings, admin_user, url):
    settings.OMNIDESK_WEBHOOK_ALLOWED_NETWORKS = []
    response = api_client_for(admin_user).post(
        "/api/v1/webhooks/", {"url": url, "events": ["conversation.created"]}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "OMNIDESK_WEBHOOK_ALLOWED_NETWORKS" in response.json()["error"]["message"]
    assert not WebhookSubscription.objects.exists()


def test_a_target_allowed_then_unlisted_is_refused_at_send(
    settings, receiver, api_endpoint, admin_user, django_capture_on_commit_callbacks
):
    create_subscription(
        url=receiver.url, events=["conversation.created"], description="", created_by=admin_user
    )
    settings.OMNIDESK_WEBHOOK_ALLOWED_NETWORKS = []
    with django_capture_on_commit_callbacks(execute=True):
        receive_message(endpoint=api_endpoint, inbound=inbound("m-1", "Hi", email="d@x.test"))
    delivery = WebhookDelivery.objects.get()
    (attempt,) = delivery.attempt_log.all()
    assert attempt.status_code is None
    assert "not a public address" in attempt.error
    assert receiver.requests == []
