"""A subscription whose deliveries keep failing for good is turned off, with a reason,
and the admins get an email."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from agents.models import AgentProfile
from conversations.services import receive_message
from tests.conftest import inbound
from tests.factories import make_agent
from webhooks.models import WebhookDelivery
from webhooks.services import (
    DISABLE_AFTER_FAILED_DELIVERIES,
    create_subscription,
    sweep_due_deliveries,
)

pytestmark = pytest.mark.django_db


def test_repeated_failures_disable_the_subscription_and_tell_admins(
    settings, receiver, api_endpoint, django_capture_on_commit_callbacks
):
    settings.OMNIDESK_WEBHOOK_MAX_ATTEMPTS = 2
    admin = make_agent(role=AgentProfile.Role.ADMIN, email="boss@desk.test")
    make_agent(email="agent@desk.test")
    receiver.answer_status = 503
    subscription = create_subscription(
        url=receiver.url, events=["message.created"], description="", created_by=admin
    )
    for number in range(DISABLE_AFTER_FAILED_DELIVERIES + 1):
        with django_capture_on_commit_callbacks(execute=True):
            receive_message(
                endpoint=api_endpoint, inbound=inbound(f"m-{number}", "Hi", email="d@x.test")
            )
        WebhookDelivery.objects.filter(status="retrying").update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )
        with django_capture_on_commit_callbacks(execute=True):
            sweep_due_deliveries()
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert subscription.disabled_at is not None
    assert "in a row failed" in subscription.disabled_reason
    # The event after the disabling is not even recorded.
    assert WebhookDelivery.objects.count() == DISABLE_AFTER_FAILED_DELIVERIES
    assert len(receiver.requests) == 2 * DISABLE_AFTER_FAILED_DELIVERIES
    (notice,) = mail.outbox
    assert notice.to == ["boss@desk.test"]
    assert receiver.url in notice.body


def test_a_success_resets_the_failure_streak(
    settings, receiver, api_endpoint, admin_user, django_capture_on_commit_callbacks
):
    settings.OMNIDESK_WEBHOOK_MAX_ATTEMPTS = 1
    subscription = create_subscription(
        url=receiver.url, events=["message.created"], description="", created_by=admin_user
    )
    receiver.answer_status = 500
    for number in range(DISABLE_AFTER_FAILED_DELIVERIES - 1):
        with django_capture_on_commit_callbacks(execute=True):
            receive_message(
                endpoint=api_endpoint, inbound=inbound(f"m-{number}", "Hi", email="d@x.test")
            )
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == DISABLE_AFTER_FAILED_DELIVERIES - 1
    receiver.answer_status = 204
    with django_capture_on_commit_callbacks(execute=True):
        receive_message(endpoint=api_endpoint, inbound=inbound("m-ok", "Hi", email="d@x.test"))
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0
    assert subscription.is_active
