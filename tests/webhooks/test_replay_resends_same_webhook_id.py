from __future__ import annotations

import pytest

from conversations.services import receive_message
from tests.conftest import api_client_for, inbound
from tests.webhooks.conftest import verify_standard_webhook
from webhooks.models import WebhookDelivery
from webhooks.services import create_subscription

pytestmark = pytest.mark.django_db


def test_replay_resends_with_the_same_webhook_id(
    receiver, api_endpoint, admin_user, django_capture_on_commit_callbacks
):
    subscription = create_subscription(
        url=receiver.url, events=["conversation.created"], description="", created_by=admin_user
    )
    with django_capture_on_commit_callbacks(execute=True):
        receive_message(endpoint=api_endpoint, inbound=inbound("m-1", "Hi", email="d@x.test"))
    delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(admin_user).post(
            f"/api/v1/webhooks/{subscription.pk}/deliveries/{delivery.pk}/replay/"
        )
    assert response.status_code == 202, response.content
    first, again = receiver.requests
    assert again.webhook_id == first.webhook_id == delivery.event_id
    assert again.body == first.body
    verify_standard_webhook(subscription.secret, again)
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.attempt_log.count() == 2
    listed = api_client_for(admin_user).get(f"/api/v1/webhooks/{subscription.pk}/deliveries/")
    (shown,) = listed.json()["results"]
    assert shown["webhook_id"] == delivery.event_id
    assert [a["status_code"] for a in shown["attempt_log"]] == [200, 200]


def test_a_task_run_twice_sends_once(
    receiver, api_endpoint, admin_user, django_capture_on_commit_callbacks
):
    from webhooks.tasks import deliver_webhook

    create_subscription(
        url=receiver.url, events=["conversation.created"], description="", created_by=admin_user
    )
    with django_capture_on_commit_callbacks(execute=True):
        receive_message(endpoint=api_endpoint, inbound=inbound("m-1", "Hi", email="d@x.test"))
    delivery = WebhookDelivery.objects.get()
    assert deliver_webhook(delivery.pk) == "skipped"
    assert len(receiver.requests) == 1
