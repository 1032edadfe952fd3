"""A busy desk drains in bigger batches: after a drain that found more than one message,
the next waits `OMNIDESK_INBOUND_DRAIN_LINGER_MS` so the messages arriving meanwhile
share its batch (a batch's fixed cost is most of a one-message drain); a quiet desk
(the last drain found one message) drains at once. Run by a real worker from Redis."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from channels_app.models import ChannelEndpoint, InboundEvent
from intake.services import accept_inbound
from intake.services.accept import DRAIN_BUSY_KEY, DRAIN_SCHEDULED_KEY
from intake.services.pipeline import drain_inbound_events
from tests.conftest import inbound

pytestmark = pytest.mark.django_db(transaction=True)


def _accept(endpoint: ChannelEndpoint, provider_id: str) -> InboundEvent:
    return accept_inbound(
        endpoint=endpoint,
        messages=[inbound(provider_id, f"Hello {provider_id}", email=f"{provider_id}@example.com")],
    )[0].event


def test_a_drain_that_found_several_messages_marks_the_desk_busy(api_endpoint):
    cache.delete(DRAIN_BUSY_KEY)
    cache.set(DRAIN_SCHEDULED_KEY, 1, timeout=60)  # as if a drain were queued: none runs
    _accept(api_endpoint, "b-1")
    _accept(api_endpoint, "b-2")
    assert drain_inbound_events() == 2
    assert cache.get(DRAIN_BUSY_KEY)

    cache.set(DRAIN_SCHEDULED_KEY, 1, timeout=60)
    _accept(api_endpoint, "b-3")
    assert drain_inbound_events() == 1
    assert cache.get(DRAIN_BUSY_KEY) is None  # quiet again: the next drain starts at once


def test_a_busy_desk_takes_messages_arriving_meanwhile_in_one_batch(
    celery_worker_process,
    api_endpoint,
    settings,
):
    from omnidesk.celery import app

    # Long enough that three separate arrivals certainly fall inside it.
    settings.OMNIDESK_INBOUND_DRAIN_LINGER_MS = 3000
    cache.delete(DRAIN_SCHEDULED_KEY)
    app.conf.task_always_eager = False
    try:
        _wait_until_the_worker_answers(app)
        _wait_until_processed([_accept(api_endpoint, "warm-up")])  # its first task's setup
        cache.set(DRAIN_BUSY_KEY, 1, timeout=60)
        events = []
        for n in range(3):  # well apart: a drain that started at once would take one
            events.append(_accept(api_endpoint, f"l-{n}"))
            time.sleep(0.5)
        _wait_until_processed(events)
    finally:
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
        cache.delete(DRAIN_BUSY_KEY)
    processed = InboundEvent.objects.filter(pk__in=[e.pk for e in events])
    assert {e.status for e in processed} == {InboundEvent.Status.PROCESSED}
    # One drain, one batch: one transaction marked them all.
    assert len({e.processed_at for e in processed}) == 1


def _wait_until_the_worker_answers(app) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            return
    raise AssertionError("the worker did not start")


def _wait_until_processed(events: list[InboundEvent]) -> None:
    deadline = time.monotonic() + 60
    while (
        time.monotonic() < deadline
        and InboundEvent.objects.filter(
            pk__in=[e.pk for e in events], status=InboundEvent.Status.PENDING
        ).exists()
    ):
        time.sleep(0.2)
