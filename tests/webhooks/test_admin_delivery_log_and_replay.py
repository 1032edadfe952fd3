"""An admin, signed in to the Django admin, reads each attempt of a delivery (status,
time, the receiver's answer; nothing editable) and replays selected deliveries with the
service behind the replay API: the same webhook-id and body, a new attempt in the log."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import formats, timezone

from conversations.services import receive_message
from tests.conftest import inbound
from tests.factories import UserFactory
from tests.webhooks.conftest import verify_standard_webhook
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.services import create_subscription, update_subscription

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/webhooks/webhookdelivery/"


@pytest.fixture
def admin_client_signed_in(admin_user) -> Client:
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.set_password("a long admin password")
    admin_user.save()
    client = Client()
    # Through the admin's own sign-in form (and its lockout checks), as a person would.
    signed_in = client.post(
        "/admin/login/?next=/admin/",
        {"username": admin_user.username, "password": "a long admin password"},
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == "/admin/", signed_in
    return client


@pytest.fixture
def failed_once(receiver, api_endpoint, admin_user, django_capture_on_commit_callbacks):
    """A delivery whose one attempt the receiver answered with a 500."""
    subscription = create_subscription(
        url=receiver.url, events=["conversation.created"], description="", created_by=admin_user
    )
    receiver.answer_status = 500
    with django_capture_on_commit_callbacks(execute=True):
        receive_message(endpoint=api_endpoint, inbound=inbound("m-1", "Hi", email="d@x.test"))
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.status == WebhookDelivery.Status.RETRYING
    receiver.answer_status = 200
    return delivery


def test_a_deliverys_page_shows_each_attempt_read_only(failed_once, admin_client_signed_in):
    attempt = failed_once.attempt_log.get()
    page = admin_client_signed_in.get(f"{CHANGELIST}{failed_once.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "receiver broke" in body  # the answer's excerpt
    assert ">500<" in body.replace(" ", "")  # the attempt's status code
    assert formats.localize(timezone.template_localtime(attempt.at)) in body  # its time
    assert failed_once.event_id in body
    # Read-only: no inputs for the attempts or the delivery, no save button.
    for field in ("at", "status_code", "duration_ms", "error", "response_excerpt"):
        assert f'name="attempt_log-0-{field}"' not in body
    assert "<textarea" not in body
    assert 'name="status"' not in body
    assert 'name="_save"' not in body

    subscription_page = admin_client_signed_in.get(
        f"/admin/webhooks/webhooksubscription/{failed_once.subscription_id}/change/"
    )
    assert f"{CHANGELIST}{failed_once.pk}/change/" in subscription_page.content.decode()


def test_replay_selected_deliveries_resends_them(
    failed_once, receiver, admin_client_signed_in, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_signed_in.post(
            CHANGELIST,
            {"action": "replay_selected", "_selected_action": [str(failed_once.pk)]},
            follow=True,
        )
    assert response.status_code == 200
    assert "1 delivery sent again" in response.content.decode()
    first, again = receiver.requests
    assert again.webhook_id == first.webhook_id == failed_once.event_id
    assert again.body == first.body
    verify_standard_webhook(failed_once.subscription.secret, again)
    failed_once.refresh_from_db()
    assert failed_once.status == WebhookDelivery.Status.SUCCEEDED
    assert [a.status_code for a in failed_once.attempt_log.all()] == [500, 200]

    page = admin_client_signed_in.get(f"{CHANGELIST}{failed_once.pk}/change/").content.decode()
    assert page.count('"field-status_code"') == 2


def test_a_disabled_webhooks_deliveries_are_not_replayed(
    failed_once, receiver, admin_client_signed_in, django_capture_on_commit_callbacks
):
    update_subscription(subscription=failed_once.subscription, is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_signed_in.post(
            CHANGELIST,
            {"action": "replay_selected", "_selected_action": [str(failed_once.pk)]},
            follow=True,
        )
    assert "turn it on before replaying" in response.content.decode()
    assert len(receiver.requests) == 1


def test_only_admin_staff_reach_the_delivery_log(failed_once, receiver):
    outsider = UserFactory(username="eve", is_staff=False)
    client = Client()
    client.force_login(outsider)
    response = client.post(
        CHANGELIST, {"action": "replay_selected", "_selected_action": [str(failed_once.pk)]}
    )
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert len(receiver.requests) == 1


def _subscription_form(url: str) -> dict[str, str]:
    return {
        "url": url,
        "events": "conversation.created,conversation.reopened",
        "description": "CRM",
        "is_active": "on",
        "deliveries-TOTAL_FORMS": "0",
        "deliveries-INITIAL_FORMS": "0",
        "deliveries-MIN_NUM_FORMS": "0",
        "deliveries-MAX_NUM_FORMS": "0",
    }


def test_an_admin_adds_a_subscription_and_sees_its_secret_once(admin_client_signed_in, settings):
    settings.OMNIDESK_WEBHOOK_ALLOWED_NETWORKS = []
    refused = admin_client_signed_in.post(
        "/admin/webhooks/webhooksubscription/add/", _subscription_form("http://127.0.0.1/x")
    )
    assert refused.status_code == 200
    assert "which is not a public address" in refused.content.decode()
    assert not WebhookSubscription.objects.exists()

    # A URL typed without its scheme is taken as https.
    added = admin_client_signed_in.post(
        "/admin/webhooks/webhooksubscription/add/",
        _subscription_form("93.184.215.14/omnidesk"),
        follow=True,
    )
    subscription = WebhookSubscription.objects.get()
    assert subscription.url == "https://93.184.215.14/omnidesk"
    assert subscription.events == ["conversation.created", "conversation.reopened"]
    assert f"(shown once): {subscription.secret}" in added.content.decode()
    page = admin_client_signed_in.get(
        f"/admin/webhooks/webhooksubscription/{subscription.pk}/change/"
    )
    assert subscription.secret not in page.content.decode()
