"""Every domain moment asks whether anyone subscribed to it: when nobody did, the answer
costs no query (a process remembers it for a moment), and a subscription made here
applies to the very next moment."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from webhooks import events, selectors, services
from webhooks.models import WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db


def _moment() -> services.Event:
    return services.Event(events.CONVERSATION_CREATED, lambda: {"conversation_id": 1})


def test_a_moment_nobody_subscribed_to_makes_no_query_and_a_new_subscription_hears_the_next():
    selectors.forget_subscribed_types()  # what earlier tests' subscriptions left behind
    services.announce(_moment())  # the process learns that nobody subscribed
    with CaptureQueriesContext(connection) as queries:
        assert services.announce(_moment(), _moment()) == []
    assert queries.captured_queries == []

    WebhookSubscription.objects.create(
        url="https://hooks.example.com/omnidesk",
        events=[events.CONVERSATION_CREATED],
        credentials={"secret": services.new_webhook_secret()},
    )
    assert len(services.announce(_moment())) == 1
    assert WebhookDelivery.objects.filter(event_type=events.CONVERSATION_CREATED).count() == 1
