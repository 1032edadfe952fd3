"""A receiver answering 500 gets the delivery again later, each time after a longer wait,
and every attempt is in the delivery's log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.services import receive_message
from tests.conftest import inbound
from webhooks.models import WebhookDelivery
from webhooks.services import create_subscription, retry_delay, sweep_due_deliveries

pytestmark = pytest.mark.django_db


def _time_passes(delivery: WebhookDelivery) -> None:
    """The retry time comes (the clock is not waited for)."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_500_is_retried_with_growing_waits_and_logged(
    receiver, api_endpoint, admin_user, django_capture_on_commit_callbacks
):
    receiver.answer_status = 500
    create_subscription(
        url=receiver.url, events=["conversation.created"], description="", created_by=admin_user
    )
    with django_capture_on_commit_callbacks(execute=True):
        receive_message(endpoint=api_endpoint, inbound=inbound("m-1", "Hi", email="d@x.test"))
    delivery = WebhookDelivery.objects.get()
    waits = []
    for attempt in (1, 2, 3):
        delivery.refresh_from_db()
        assert delivery.status == WebhookDelivery.Status.RETRYING
        assert delivery.attempts == attempt
        waits.append(delivery.next_attempt_at - delivery.attempt_log.last().at)
        assert sweep_due_deliveries() == 0  # not due yet: nothing is sent early
        _time_passes(delivery)
        assert sweep_due_deliveries() == 1
    assert waits == [retry_delay(1), retry_delay(2), retry_delay(3)]
    assert waits[0] == timedelta(seconds=30) and waits[1] == 2 * waits[0] == waits[2] / 2

    log = list(delivery.attempt_log.all())
    assert [entry.status_code for entry in log] == [500, 500, 500, 500]
    assert all(entry.response_excerpt.startswith("receiver broke") for entry in log)
    assert all(len(entry.response_excerpt.encode()) <= 1024 for entry in log)
    assert len(receiver.requests) == 4
    assert len({r.webhook_id for r in receiver.requests}) == 1  # one event, retried


def test_the_backoff_spans_about_a_day(settings):
    total = sum(
        (retry_delay(n) for n in range(1, settings.OMNIDESK_WEBHOOK_MAX_ATTEMPTS)), timedelta()
    )
    assert timedelta(hours=23) < total < timedelta(hours=25)
    assert max(retry_delay(n) for n in range(1, 40)) == timedelta(hours=1)
